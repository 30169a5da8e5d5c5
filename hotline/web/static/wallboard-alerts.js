// The wallboard's keyword alerts: from transcripts, minutes after a call, so polled, not streamed.
import { button, cell, emptyRow } from "./page.js";
import { post, request } from "./http.js";
import { duration, localTime } from "./format.js";
import { LEGS } from "./labels.js";

async function acknowledge(id) {
  if (await post(`/api/v1/alerts/${id}/acknowledge`, {})) loadAlerts();
}

async function loadAlerts() {
  const { ok, data: alerts } = await request("GET", "/api/v1/alerts");
  if (!ok) return;
  const body = document.querySelector("#alerts tbody");
  body.replaceChildren();
  if (!alerts.length) {
    emptyRow(body, "暂无预警", 5);
    return;
  }
  for (const a of alerts) {
    const row = body.insertRow();
    row.dataset.alertId = a.id;
    row.className = a.category === "safety" ? "alert" : "";
    cell(row, localTime(a.started_at));
    cell(row, a.lawyer || "—");
    cell(row, a.keyword, "keyword");
    cell(row, `${LEGS[a.leg] || a.leg} ${duration(a.at_seconds)}`);
    button(row.insertCell(), "确认", () => acknowledge(a.id)).dataset.action = "acknowledge";
  }
}

export function watchAlerts() {
  loadAlerts();
  setInterval(loadAlerts, 30000);
}
