// The desk's ticket (工单): opened for the call in progress or from 我的工单, written and saved,
// closed; a voicemail's callback; where its hand-offs (转办) stand.
import { badge, byId, cell, emptyRow, say } from "./page.js";
import { failure, post, request } from "./http.js";
import { localTime } from "./format.js";
import { HANDOFF_DESTINATIONS } from "./labels.js";

// Deadline rules (限时办结) that are not outcomes, and their units.
const RULES = { unfinished: "未填写处理结果", voicemail: "留言回访", abandoned: "未接回拨" };
const UNITS = { h: "小时", d: "天", wd: "个工作日" };
const FAILED = "工单操作失败";

// ``outcomes``: outcome -> label, from hotline/tickets/schemas.py (the page's data). Returns what
// the rest of the desk calls: ``forCall(call)`` when the live call changes.
export function ticketDesk(outcomes) {
  let ticket = null;        // the ticket in the form, as the API last returned it
  let callLinkedid = null;  // the call whose ticket the desk opened (one fetch per call)

  // Text typed (or an outcome picked) in the form and not saved yet.
  function unsaved() {
    return !!ticket && ticket.state === "open"
      && (byId("ticket-summary").value !== ticket.summary
        || byId("ticket-outcome").value !== (ticket.outcome || ""));
  }

  function ruleText(rule) {
    const [name, spec] = (rule || "").split(": ");
    const match = /^(\d+)(h|d|wd)$/.exec(spec || "");
    if (!match) return rule || "";
    return `${outcomes[name] || RULES[name] || name} · ${match[1]} ${UNITS[match[2]]}`;
  }

  function dueText(t) {
    if (t.state === "closed") {
      return `已办结（${localTime(t.closed_at)}${t.closed_note ? ` · ${t.closed_note}` : ""}）`;
    }
    if (!t.due_at) return "—";
    return `${localTime(t.due_at)}（${ruleText(t.due_rule)}）${t.overdue ? " · 已超期" : ""}`;
  }

  function calledAt(t) {
    return localTime((t.calls[0] && t.calls[0].started_at) || t.created_at);
  }

  function show(t) {
    ticket = t;
    const form = byId("ticket");
    const closed = t.state === "closed";
    form.hidden = false;
    byId("ticket-idle").hidden = true;
    form.dataset.number = t.number;
    form.dataset.state = t.state;
    byId("ticket-number").textContent = t.number;
    byId("ticket-state").textContent = closed ? "已办结" : "处理中";
    byId("ticket-state").className = closed ? "badge closed" : "badge";
    byId("ticket-caller").textContent = t.caller || "未知号码";
    byId("ticket-topic").textContent = t.topic_label || t.topic || "未选择";
    byId("ticket-time").textContent = calledAt(t);
    const due = byId("ticket-due");
    due.textContent = dueText(t);
    due.dataset.rule = t.due_rule || "";
    due.className = t.overdue ? "overdue" : "";
    byId("ticket-summary").value = t.summary;
    byId("ticket-summary").readOnly = closed;
    byId("ticket-outcome").value = t.outcome || "";
    byId("ticket-outcome").disabled = closed;
    byId("ticket-save").hidden = closed;
    // A voicemail, a lost call (未接回拨) or a ticket marked 需回访: call the citizen back (the
    // desk's phone rings first).
    byId("ticket-callback").hidden = closed || !(t.kind === "voicemail" || t.outcome === "callback");
    showDeliveries(t.deliveries || []);
    byId("ticket-save-status").textContent = t.updated_by
      ? `最后保存：${localTime(t.updated_at)}（${t.updated_by}）`
      : "尚未保存";
    for (const row of document.querySelectorAll("#my-tickets tr[data-number]")) {
      if (row.dataset.number === t.number) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  }

  // 转办: where the hand-offs of this ticket stand (delivered, being retried, or failed for good).
  function showDeliveries(deliveries) {
    const line = byId("ticket-deliveries");
    line.hidden = !deliveries.length;
    line.textContent = deliveries.map((d) => {
      const where = HANDOFF_DESTINATIONS[d.destination] || d.destination;
      if (d.state === "delivered") return `转办${where}：已送达（${localTime(d.delivered_at)}）`;
      if (d.state === "dead") return `转办${where}：发送失败，已交值班主管处理（${d.last_error || ""}）`;
      return d.attempts ? `转办${where}：第 ${d.attempts} 次发送未成功，稍后自动重试` : `转办${where}：等待发送`;
    }).join("；");
  }

  // During a call: its ticket (opened by the server on first read), unless unsaved text would be lost.
  function forCall(call) {
    if (!call || call.ringing || call.linkedid === callLinkedid) return;
    callLinkedid = call.linkedid;
    openCallTicket(call.linkedid, 1);
  }

  async function openCallTicket(linkedid, attempt) {
    const result = await request("GET", `/api/v1/tickets/by-call/${encodeURIComponent(linkedid)}`);
    const { ok, status, data } = result;
    // The call's record is written a moment after answering, and the server's sweep may be opening
    // the same ticket right then: try again shortly.
    if (!ok && (status === 404 || status >= 500) && attempt < 5) {
      setTimeout(() => { if (callLinkedid === linkedid) openCallTicket(linkedid, attempt + 1); }, 1000);
      return;
    }
    if (!ok) { say(failure(result, FAILED), false); return; }
    if (unsaved() && data.number !== ticket.number) {
      say(`本次通话的工单 ${data.number} 已建立；工单 ${ticket.number} 尚未保存，保存后请从“我的工单”中打开新工单。`, false);
    } else if (!ticket || data.number !== ticket.number) {
      show(data);
    }
    loadTickets();
  }

  // From 我的工单 (or after the call): the ticket as it is now.
  async function openTicket(number) {
    if (ticket && ticket.number === number && unsaved()) return;  // keep what is being typed
    if (unsaved() && !confirm(`工单 ${ticket.number} 尚未保存，确定打开其他工单吗？未保存的内容将丢失。`)) return;
    const result = await request("GET", `/api/v1/tickets/${encodeURIComponent(number)}`);
    if (result.ok) show(result.data); else say(failure(result, FAILED), false);
  }

  byId("ticket").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!ticket || ticket.state !== "open") return;
    const number = ticket.number;
    const body = { summary: byId("ticket-summary").value, outcome: byId("ticket-outcome").value || null };
    byId("ticket-save").disabled = true;
    const result = await request("PUT", `/api/v1/tickets/${encodeURIComponent(number)}`, body);
    byId("ticket-save").disabled = false;
    const { ok, data } = result;
    if (!ok) {
      say(failure(result, FAILED), false);
      if (data.error_id === "ticket-closed") {  // closed elsewhere: read-only, the text left to copy
        ticket.state = "closed";
        byId("ticket").dataset.state = "closed";
        byId("ticket-summary").readOnly = true;
        byId("ticket-outcome").disabled = true;
        byId("ticket-save").hidden = true;
        loadTickets();
      }
      return;
    }
    if (!ticket || ticket.number === number) show(data);
    say(data.state === "closed"
      ? `工单 ${number} 已保存并办结。`
      : `工单 ${number} 已保存，办结期限：${dueText(data)}。`, true);
    loadTickets();
  });

  byId("ticket-callback").addEventListener("click", async () => {
    if (!ticket) return;
    const done = await post(`/api/v1/tickets/${encodeURIComponent(ticket.number)}/callback`, {});
    if (done) say(done.message, true);
  });

  window.addEventListener("beforeunload", (event) => {
    if (unsaved()) { event.preventDefault(); event.returnValue = ""; }
  });

  // 我的工单: open tickets, soonest due first (the server's order).
  async function loadTickets() {
    const { ok, status, data } = await request("GET", "/api/v1/tickets?state=open&limit=200");
    const body = document.querySelector("#my-tickets tbody");
    body.replaceChildren();
    if (!ok) {
      cell(body.insertRow(), `无法读取工单（${data.error_id || status}）`).colSpan = 6;
      return;
    }
    if (!data.items.length) emptyRow(body, "暂无未办结的工单", 6);
    for (const t of data.items) {
      const row = body.insertRow();
      row.dataset.number = t.number;
      row.dataset.overdue = t.overdue;
      row.dataset.escalated = !!t.escalated_at;
      if (t.overdue) row.className = "overdue";
      if (ticket && ticket.number === t.number) row.setAttribute("aria-current", "true");
      const open = document.createElement("button");
      open.type = "button";
      open.className = "link";
      open.textContent = t.number;
      row.insertCell().append(open);
      cell(row, calledAt(t));
      cell(row, t.topic_label || t.topic || "未选择");
      cell(row, t.outcome_label || "未填写", "outcome");
      cell(row, t.due_at ? localTime(t.due_at) : "—", t.overdue ? "due overdue" : "due");
      const flags = row.insertCell();
      flags.className = "flags";
      if (t.overdue) flags.append(badge("已超期", "overdue"));
      if (t.escalated_at) flags.append(badge("已上报", "escalated"));
      if (!flags.childElementCount) flags.textContent = "处理中";
      row.addEventListener("click", () => openTicket(t.number));
    }
  }

  loadTickets();
  setInterval(loadTickets, 60000);

  return { forCall };
}
