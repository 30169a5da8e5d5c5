// The lawyer's desk: my state and pauses, the screen pop, three-way calls and transfers; the
// ticket (desk-ticket.js).
import { byId, cell, pageData, say } from "./page.js";
import { get, post } from "./http.js";
import { duration, localTime } from "./format.js";
import { live, now } from "./live.js";
import { CALL_OUTCOMES, showLawyerState } from "./labels.js";
import { ticketDesk } from "./desk-ticket.js";
import { showMyAssessment } from "./desk-assessment.js";
import { deskPhone } from "./desk-phone.js";

const tickets = ticketDesk(pageData().outcomes);
showMyAssessment(pageData().assessmentMonth);
deskPhone();
let desk = null;  // the desk's stream, with the shifts read once

function renderMe() {
  const me = desk.me;
  showLawyerState(byId("my-state"), me.state, me.pause_label);
  byId("my-calls").textContent = me.calls_today;
  byId("my-talk").textContent = duration(me.talk_seconds);
  const shifts = (desk.shifts || []).map((s) => `${localTime(s.starts_at)} – ${localTime(s.ends_at)}`);
  byId("my-shifts").textContent = shifts.length ? shifts.join("；") : "今日无排班";
  byId("pause").disabled = me.state === "logged_out" || me.state === "paused";
  byId("resume").disabled = me.state !== "paused";
}

function waiting(call) {
  if (call.ringing && call.queued_at) return duration(now() - call.queued_at);
  return duration(call.wait_seconds);
}

function renderCall() {
  const call = desk.call;
  tickets.forCall(call);
  const pop = byId("screen-pop");
  byId("idle").hidden = !!call;
  pop.hidden = !call;
  if (!call) return;
  pop.dataset.linkedid = call.linkedid;
  pop.dataset.ringing = call.ringing;
  pop.className = call.ringing ? "card ringing" : "card";
  byId("call-title").textContent = call.ringing ? "来电振铃中" : "通话中";
  byId("call-caller").textContent = call.caller || "未知号码";
  byId("call-topic").textContent = call.topic_label || call.topic || "未选择";
  byId("call-language").textContent = call.language_label || "—";
  byId("call-waiting").textContent = waiting(call);
  const body = document.querySelector("#previous-calls tbody");
  body.replaceChildren();
  if (!call.previous.length) cell(body.insertRow(), "首次来电").colSpan = 5;
  for (const p of call.previous) {
    const row = body.insertRow();
    cell(row, localTime(p.started_at));
    cell(row, p.topic || "—");
    cell(row, p.lawyer || "—");
    cell(row, CALL_OUTCOMES[p.outcome] || "—");
    cell(row, p.rating || "—");
  }
  byId("call-actions").hidden = call.ringing;
}

// --- three-way calls and transfers, pauses ---------------------------------------------------

function target() {
  return byId("third-party-number").value.trim() || byId("third-party").value;
}

async function act(path, body, done) {
  if (!desk || !desk.call) return;
  const result = await post(`/api/v1/desk/calls/${encodeURIComponent(desk.call.linkedid)}/${path}`, body);
  if (result) say(done, true);
}

byId("conference").addEventListener("click", () =>
  act("conference", { target: target() }, "正在呼叫第三方，对方接听后即加入三方通话。"));
byId("transfer-attended").addEventListener("click", () =>
  act("transfer", { target: target(), mode: "attended" }, "正在呼叫对方，沟通后挂机即完成转接。"));
byId("transfer-blind").addEventListener("click", () =>
  act("transfer", { target: target(), mode: "blind" }, "已转接。"));

byId("pause").addEventListener("click", async () => {
  const done = await post("/api/v1/desk/pause", { reason: byId("pause-reason").value });
  if (done) say(`已示忙（${done.reason_label}），暂不分配来电。`, true);
});
byId("resume").addEventListener("click", async () => {
  if (await post("/api/v1/desk/resume", {})) say("已恢复接听。", true);
});

// --- the desk, live ---------------------------------------------------------------------------

async function loadShifts() {
  const data = await get("/api/v1/desk", "无法读取工作台信息");
  if (!data) return;
  if (desk) {
    desk.shifts = data.shifts;
    renderMe();
  } else {
    desk = data;
    renderMe();
    renderCall();
  }
}

live("/api/v1/desk/stream", (data) => {
  const shifts = desk ? desk.shifts : [];
  desk = data;
  desk.shifts = shifts;
  renderMe();
  renderCall();
});
loadShifts();
// The ringing call's waiting time counts on between updates.
setInterval(() => {
  if (desk && desk.call && desk.call.ringing) byId("call-waiting").textContent = waiting(desk.call);
}, 1000);
