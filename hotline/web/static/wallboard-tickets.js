// The wallboard's tickets: overdue ones (限时办结), polled, how long overdue counting on between
// polls; and dead hand-offs (the receiver refused them, or they failed too often), sent again by hand.
import { button, cell, emptyRow } from "./page.js";
import { post, request } from "./http.js";
import { localTime, longDuration } from "./format.js";
import { now } from "./live.js";
import { HANDOFF_DESTINATIONS } from "./labels.js";

const KINDS = { call: "来电", voicemail: "留言", abandoned: "未接回拨", transfer: "转12345", "queued-callback": "排队回电" };

// ``lawyerName(extension)``: how to name a ticket's lawyer. Returns ``renderOverdue`` for when the
// names change.
export function watchTickets(lawyerName) {
  let overdue = [];

  function renderOverdue() {
    const body = document.querySelector("#overdue-tickets tbody");
    body.replaceChildren();
    if (!overdue.length) {
      emptyRow(body, "暂无超期工单", 7);
      return;
    }
    for (const t of overdue) {
      const row = body.insertRow();
      row.dataset.number = t.number;
      row.dataset.lawyer = t.lawyer || "";
      row.dataset.escalated = !!t.escalated_at;
      cell(row, t.number);
      cell(row, lawyerName(t.lawyer));
      cell(row, KINDS[t.kind] || t.kind);
      cell(row, t.outcome_label || "未填写");
      cell(row, localTime(t.due_at));
      const due = Date.parse(t.due_at) / 1000;
      cell(row, longDuration(now() - due), "late").dataset.due = due;
      cell(row, t.escalated_at ? `已上报（${localTime(t.escalated_at)}）` : "—", "escalated");
    }
  }

  async function loadOverdue() {
    const { ok, data } = await request("GET", "/api/v1/tickets?overdue=true&limit=500");
    if (!ok) return;
    overdue = data.items;
    renderOverdue();
  }

  async function loadDead() {
    const { ok, data: dead } = await request("GET", "/api/v1/handoffs?state=dead");
    if (!ok) return;
    const body = document.querySelector("#dead-handoffs tbody");
    body.replaceChildren();
    if (!dead.length) {
      emptyRow(body, "暂无", 6);
      return;
    }
    for (const d of dead) {
      const row = body.insertRow();
      row.dataset.handoffId = d.id;
      cell(row, d.ticket_number);
      cell(row, HANDOFF_DESTINATIONS[d.destination] || d.destination);
      cell(row, d.event);
      cell(row, d.attempts, "number");
      cell(row, d.last_error || (d.last_status ? `HTTP ${d.last_status}` : "—"));
      button(row.insertCell(), "重新发送", async () => {
        if (await post(`/api/v1/handoffs/${d.id}/retry`, {})) loadDead();
      }).dataset.action = "retry";
    }
  }

  loadOverdue();
  loadDead();
  setInterval(loadOverdue, 60000);
  setInterval(loadDead, 60000);
  setInterval(() => {
    for (const td of document.querySelectorAll("#overdue-tickets td.late")) {
      td.textContent = longDuration(now() - Number(td.dataset.due));
    }
  }, 1000);

  return { renderOverdue };
}
