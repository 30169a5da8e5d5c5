// The supervisor's wallboard: queues and lawyers, live; listen in and force pauses. Keyword alerts
// (wallboard-alerts.js) and overdue tickets and failed hand-offs (wallboard-tickets.js) below.
import { button, byId, cell, pageData, say } from "./page.js";
import { post } from "./http.js";
import { duration, percent } from "./format.js";
import { live, now } from "./live.js";
import { showLawyerState } from "./labels.js";
import { watchAlerts } from "./wallboard-alerts.js";
import { watchTickets } from "./wallboard-tickets.js";

const { canListen, canPause, canHandleAlerts, canManageTickets } = pageData();
let board = null;

function renderQueues() {
  const body = document.querySelector("#queues tbody");
  body.replaceChildren();
  for (const q of board.queues) {
    const row = body.insertRow();
    row.dataset.queue = q.queue;
    if (q.waiting) row.className = "alert";
    cell(row, q.label);
    cell(row, q.waiting, "number waiting");
    const longest = cell(row, q.oldest_since ? duration(now() - q.oldest_since) : "—", "number longest");
    longest.dataset.since = q.oldest_since || "";
    cell(row, q.answered, "number answered");
    cell(row, q.abandoned, "number abandoned");
    cell(row, percent(q.service_level), "number service-level");
    cell(row, q.average_wait === null ? "—" : duration(q.average_wait), "number average-wait");
    cell(row, q.average_rating === null ? "—" : q.average_rating.toFixed(1), "number average-rating");
  }
}

async function listen(extension, mode, label) {
  const done = await post(`/api/v1/wallboard/lawyers/${extension}/listen`, { mode });
  if (done) say(`正在呼叫您的话机，接起后即可${label}（${extension}）。`, true);
}

async function pause(extension) {
  const done = await post(`/api/v1/lawyers/${extension}/pause`, { reason: byId("pause-reason").value });
  if (done) say(`已将 ${extension} 强制示忙（${done.reason_label}），不再分配来电。`, true);
}

async function resume(extension) {
  if (await post(`/api/v1/lawyers/${extension}/resume`, {})) say(`${extension} 已恢复接听。`, true);
}

// How each lawyer takes calls now: a SIP phone, the desk's browser phone, a video consultation.
const CHANNELS = { phone: "电话", browser: "浏览器", video: "视频" };

function renderLawyers() {
  const body = document.querySelector("#lawyers tbody");
  body.replaceChildren();
  for (const l of board.lawyers) {
    const row = body.insertRow();
    row.dataset.extension = l.extension;
    cell(row, l.extension);
    cell(row, l.name);
    const state = document.createElement("span");
    showLawyerState(state, l.state, l.pause_label);
    row.insertCell().append(state);
    row.cells[2].className = "state-cell";
    cell(row, CHANNELS[l.channel] || l.channel, "channel").dataset.channel = l.channel;
    cell(row, l.calls_today, "number calls");
    cell(row, duration(l.talk_seconds), "number talk");
    const actions = row.insertCell();
    if (canListen && l.state === "on_call") {
      button(actions, "监听", () => listen(l.extension, "listen", "监听")).dataset.action = "listen";
      button(actions, "耳语", () => listen(l.extension, "whisper", "耳语")).dataset.action = "whisper";
      button(actions, "强插", () => listen(l.extension, "barge", "强插")).dataset.action = "barge";
    }
    if (canPause && l.state !== "logged_out") {
      if (l.state === "paused") {
        button(actions, "恢复接听", () => resume(l.extension)).dataset.action = "resume";
      } else {
        button(actions, "强制示忙", () => pause(l.extension), "warn").dataset.action = "pause";
      }
    }
  }
}

// A lawyer's name with the extension, from the board (once it has arrived).
function lawyerName(extension) {
  if (!extension) return "未指派";
  const lawyer = board && board.lawyers.find((l) => l.extension === extension);
  return lawyer && lawyer.name && lawyer.name !== extension ? `${lawyer.name}（${extension}）` : extension;
}

const tickets = canManageTickets ? watchTickets(lawyerName) : null;
// Notices from the other parts of the hotline (e.g. a monthly report still to be submitted).
function renderNotices() {
  const list = byId("notices");
  list.replaceChildren(
    ...(board.notices || []).map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }),
  );
  list.hidden = list.children.length === 0;
}

live("/api/v1/wallboard/stream", (data) => {
  const first = !board;
  board = data;
  renderNotices();
  renderQueues();
  renderLawyers();
  if (first && tickets) tickets.renderOverdue();  // the lawyers' names arrived
});
if (canHandleAlerts) watchAlerts();

// Waiting times count on between updates.
setInterval(() => {
  for (const td of document.querySelectorAll("#queues td.longest")) {
    if (td.dataset.since) td.textContent = duration(now() - Number(td.dataset.since));
  }
}, 1000);
