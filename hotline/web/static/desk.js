// The lawyer's desk: my state and pauses, the screen pop, three-way calls and transfers, tickets.
"use strict";

(() => {
  let desk = null;

  function localTime(iso) {
    return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "—";
  }

  function renderMe() {
    const me = desk.me;
    Hotline.stateBadge(document.getElementById("my-state"), me.state, me.pause_label);
    document.getElementById("my-calls").textContent = me.calls_today;
    document.getElementById("my-talk").textContent = Hotline.duration(me.talk_seconds);
    const shifts = (desk.shifts || []).map((s) => `${localTime(s.starts_at)} – ${localTime(s.ends_at)}`);
    document.getElementById("my-shifts").textContent = shifts.length ? shifts.join("；") : "今日无排班";
    document.getElementById("pause").disabled = me.state === "logged_out" || me.state === "paused";
    document.getElementById("resume").disabled = me.state !== "paused";
  }

  function waiting(call) {
    if (call.ringing && call.queued_at) return Hotline.duration(Hotline.now() - call.queued_at);
    return Hotline.duration(call.wait_seconds);
  }

  function renderCall() {
    const call = desk.call;
    ticketForCall(call);
    const pop = document.getElementById("screen-pop");
    document.getElementById("idle").hidden = !!call;
    pop.hidden = !call;
    if (!call) return;
    pop.dataset.linkedid = call.linkedid;
    pop.dataset.ringing = call.ringing;
    pop.className = call.ringing ? "card ringing" : "card";
    document.getElementById("call-title").textContent = call.ringing ? "来电振铃中" : "通话中";
    document.getElementById("call-caller").textContent = call.caller || "未知号码";
    document.getElementById("call-topic").textContent = call.topic_label || call.topic || "未选择";
    document.getElementById("call-language").textContent = call.language_label || "—";
    document.getElementById("call-waiting").textContent = waiting(call);
    const body = document.querySelector("#previous-calls tbody");
    body.replaceChildren();
    if (!call.previous.length) {
      const row = body.insertRow();
      const td = Hotline.cell(row, "首次来电");
      td.colSpan = 5;
    }
    for (const p of call.previous) {
      const row = body.insertRow();
      Hotline.cell(row, localTime(p.started_at));
      Hotline.cell(row, p.topic || "—");
      Hotline.cell(row, p.lawyer || "—");
      Hotline.cell(row, Hotline.OUTCOMES[p.outcome] || "—");
      Hotline.cell(row, p.rating || "—");
    }
    document.getElementById("call-actions").hidden = call.ringing;
  }

  function target() {
    const number = document.getElementById("third-party-number").value.trim();
    return number || document.getElementById("third-party").value;
  }

  async function act(path, body, done) {
    if (!desk || !desk.call) return;
    const result = await Hotline.post(`/api/v1/desk/calls/${encodeURIComponent(desk.call.linkedid)}/${path}`, body);
    if (result) Hotline.say(done, true);
  }

  document.getElementById("conference").addEventListener("click", () =>
    act("conference", { target: target() }, "正在呼叫第三方，对方接听后即加入三方通话。"));
  document.getElementById("transfer-attended").addEventListener("click", () =>
    act("transfer", { target: target(), mode: "attended" }, "正在呼叫对方，沟通后挂机即完成转接。"));
  document.getElementById("transfer-blind").addEventListener("click", () =>
    act("transfer", { target: target(), mode: "blind" }, "已转接。"));

  document.getElementById("pause").addEventListener("click", async () => {
    const reason = document.getElementById("pause-reason").value;
    const done = await Hotline.post("/api/v1/desk/pause", { reason });
    if (done) Hotline.say(`已示忙（${done.reason_label}），暂不分配来电。`, true);
  });
  document.getElementById("resume").addEventListener("click", async () => {
    const done = await Hotline.post("/api/v1/desk/resume", {});
    if (done) Hotline.say("已恢复接听。", true);
  });

  async function loadShifts() {
    const response = await fetch("/api/v1/desk", { credentials: "same-origin" });
    if (response.ok) {
      const data = await response.json();
      if (desk) { desk.shifts = data.shifts; renderMe(); } else { desk = data; renderMe(); renderCall(); }
    } else {
      const data = await response.json().catch(() => ({}));
      Hotline.say(data.message || "无法读取工作台信息。", false);
    }
  }

  // --- the ticket (工单): written during or after the call -------------------------------------

  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const { outcomes } = window.HOTLINE;  // outcome -> label, from hotline/tickets/schemas.py
  // Deadline rules (限时办结) that are not outcomes, and their units.
  const RULES = { unfinished: "未填写处理结果", voicemail: "留言回访" };
  const UNITS = { h: "小时", d: "天", wd: "个工作日" };
  const TICKET_ERRORS = {
    "ticket-closed": "该工单已办结，不能再修改；如需继续处理，请联系值班主管重新打开。",
    "ticket-summary-missing": "请先填写咨询摘要，再选择“已解答”办结工单。",
    "ticket-outcome-invalid": "留言工单需先回拨：请点“回拨”联系来电人后再办结，或选择转办。",
    "ticket-not-yours": "该工单不属于您；如需处理，请联系值班主管转给您。",
    "ticket-not-found": "没有找到该工单，或该工单不属于您。",
    "handoff-payload-invalid": "转办信息不完整，无法转交：请补全工单（如填写咨询摘要）后再保存。",
  };

  let ticket = null;        // the ticket in the form, as the API last returned it
  let callLinkedid = null;  // the call whose ticket the desk opened (one fetch per call)

  // Text typed (or an outcome picked) in the form and not saved yet.
  function unsaved() {
    return !!ticket && ticket.state === "open"
      && ($("ticket-summary").value !== ticket.summary || $("ticket-outcome").value !== (ticket.outcome || ""));
  }

  function ruleText(rule) {
    const [name, spec] = (rule || "").split(": ");
    const match = /^(\d+)(h|d|wd)$/.exec(spec || "");
    if (!match) return rule || "";
    return `${outcomes[name] || RULES[name] || name} · ${match[1]} ${UNITS[match[2]]}`;
  }

  function dueText(t) {
    if (t.state === "closed") return `已办结（${localTime(t.closed_at)}）`;
    if (!t.due_at) return "—";
    return `${localTime(t.due_at)}（${ruleText(t.due_rule)}）${t.overdue ? " · 已超期" : ""}`;
  }

  function calledAt(t) {
    return localTime((t.calls[0] && t.calls[0].started_at) || t.created_at);
  }

  function ticketFailed(status, data) {
    const text = TICKET_ERRORS[data.error_id] || data.message
      || (typeof data.detail === "string" ? data.detail : "请检查填写的内容后重试。");
    Hotline.say(`工单操作失败（${data.error_id || status}）：${text}`, false);
  }

  async function request(url, options) {
    const response = await fetch(url, { credentials: "same-origin", ...options });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  }

  function showTicket(t) {
    ticket = t;
    const form = $("ticket");
    const closed = t.state === "closed";
    form.hidden = false;
    $("ticket-idle").hidden = true;
    form.dataset.number = t.number;
    form.dataset.state = t.state;
    $("ticket-number").textContent = t.number;
    $("ticket-state").textContent = closed ? "已办结" : "处理中";
    $("ticket-state").className = closed ? "badge closed" : "badge";
    $("ticket-caller").textContent = t.caller || "未知号码";
    $("ticket-topic").textContent = t.topic_label || t.topic || "未选择";
    $("ticket-time").textContent = calledAt(t);
    const due = $("ticket-due");
    due.textContent = dueText(t);
    due.dataset.rule = t.due_rule || "";
    due.className = t.overdue ? "overdue" : "";
    $("ticket-summary").value = t.summary;
    $("ticket-summary").readOnly = closed;
    $("ticket-outcome").value = t.outcome || "";
    $("ticket-outcome").disabled = closed;
    $("ticket-save").hidden = closed;
    // A voicemail, or a ticket marked 需回访: call the citizen back (the desk's phone rings first).
    $("ticket-callback").hidden = closed || !(t.kind === "voicemail" || t.outcome === "callback");
    showDeliveries(t.deliveries || []);
    $("ticket-save-status").textContent = t.updated_by
      ? `最后保存：${localTime(t.updated_at)}（${t.updated_by}）`
      : "尚未保存";
    for (const row of document.querySelectorAll("#my-tickets tr[data-number]")) {
      if (row.dataset.number === t.number) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  }

  // 转办: where the hand-offs of this ticket stand (delivered, being retried, or failed for good).
  const DESTINATIONS = { "case-records": "法律援助/案件系统", "gov-12345": "12345 热线" };
  function showDeliveries(deliveries) {
    const line = $("ticket-deliveries");
    line.hidden = !deliveries.length;
    line.textContent = deliveries.map((d) => {
      const where = DESTINATIONS[d.destination] || d.destination;
      if (d.state === "delivered") return `转办${where}：已送达（${localTime(d.delivered_at)}）`;
      if (d.state === "dead") return `转办${where}：发送失败，已交值班主管处理（${d.last_error || ""}）`;
      return d.attempts ? `转办${where}：第 ${d.attempts} 次发送未成功，稍后自动重试` : `转办${where}：等待发送`;
    }).join("；");
  }

  // During a call: its ticket (opened by the server on first read), unless unsaved text would be lost.
  function ticketForCall(call) {
    if (!call || call.ringing || call.linkedid === callLinkedid) return;
    callLinkedid = call.linkedid;
    openCallTicket(call.linkedid, 1);
  }

  async function openCallTicket(linkedid, attempt) {
    const { ok, status, data } = await request(`/api/v1/tickets/by-call/${encodeURIComponent(linkedid)}`);
    // The call's record is written a moment after answering, and the server's sweep may be opening
    // the same ticket right then: try again shortly.
    if (!ok && (status === 404 || status >= 500) && attempt < 5) {
      setTimeout(() => { if (callLinkedid === linkedid) openCallTicket(linkedid, attempt + 1); }, 1000);
      return;
    }
    if (!ok) { ticketFailed(status, data); return; }
    if (unsaved() && data.number !== ticket.number) {
      Hotline.say(`本次通话的工单 ${data.number} 已建立；工单 ${ticket.number} 尚未保存，保存后请从“我的工单”中打开新工单。`, false);
    } else if (!ticket || data.number !== ticket.number) {
      showTicket(data);
    }
    loadTickets();
  }

  // From 我的工单 (or after the call): the ticket as it is now.
  async function openTicket(number) {
    if (ticket && ticket.number === number && unsaved()) return;  // keep what is being typed
    if (unsaved() && !confirm(`工单 ${ticket.number} 尚未保存，确定打开其他工单吗？未保存的内容将丢失。`)) return;
    const { ok, status, data } = await request(`/api/v1/tickets/${encodeURIComponent(number)}`);
    if (ok) showTicket(data); else ticketFailed(status, data);
  }

  $("ticket").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!ticket || ticket.state !== "open") return;
    const number = ticket.number;
    const body = { summary: $("ticket-summary").value, outcome: $("ticket-outcome").value || null };
    $("ticket-save").disabled = true;
    const { ok, status, data } = await request(`/api/v1/tickets/${encodeURIComponent(number)}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    $("ticket-save").disabled = false;
    if (!ok) {
      ticketFailed(status, data);
      if (data.error_id === "ticket-closed") {  // closed elsewhere: read-only, the text left to copy
        ticket.state = "closed";
        $("ticket").dataset.state = "closed";
        $("ticket-summary").readOnly = true;
        $("ticket-outcome").disabled = true;
        $("ticket-save").hidden = true;
        loadTickets();
      }
      return;
    }
    if (!ticket || ticket.number === number) showTicket(data);
    Hotline.say(data.state === "closed"
      ? `工单 ${number} 已保存并办结。`
      : `工单 ${number} 已保存，办结期限：${dueText(data)}。`, true);
    loadTickets();
  });

  $("ticket-callback").addEventListener("click", async () => {
    if (!ticket) return;
    const done = await Hotline.post(`/api/v1/tickets/${encodeURIComponent(ticket.number)}/callback`, {});
    if (done) Hotline.say(done.message, true);
  });

  window.addEventListener("beforeunload", (event) => {
    if (unsaved()) { event.preventDefault(); event.returnValue = ""; }
  });

  // 我的工单: open tickets, soonest due first (the server's order).
  async function loadTickets() {
    const { ok, status, data } = await request("/api/v1/tickets?state=open&limit=200");
    const body = document.querySelector("#my-tickets tbody");
    if (!ok) {
      body.replaceChildren();
      Hotline.cell(body.insertRow(), `无法读取工单（${data.error_id || status}）`).colSpan = 6;
      return;
    }
    body.replaceChildren();
    if (!data.items.length) {
      const row = body.insertRow();
      row.className = "empty";
      Hotline.cell(row, "暂无未办结的工单").colSpan = 6;
    }
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
      Hotline.cell(row, calledAt(t));
      Hotline.cell(row, t.topic_label || t.topic || "未选择");
      Hotline.cell(row, t.outcome_label || "未填写", "outcome");
      Hotline.cell(row, t.due_at ? localTime(t.due_at) : "—", t.overdue ? "due overdue" : "due");
      const flags = row.insertCell();
      flags.className = "flags";
      if (t.overdue) flags.append(badge("已超期", "overdue"));
      if (t.escalated_at) flags.append(badge("已上报", "escalated"));
      if (!flags.childElementCount) flags.textContent = "处理中";
      row.addEventListener("click", () => openTicket(t.number));
    }
  }

  function badge(text, className) {
    const span = document.createElement("span");
    span.className = `badge ${className}`;
    span.textContent = text;
    return span;
  }

  loadTickets();
  setInterval(loadTickets, 60000);

  Hotline.live("/api/v1/desk/stream", (data) => {
    const shifts = desk ? desk.shifts : [];
    desk = data;
    desk.shifts = shifts;
    renderMe();
    renderCall();
  });
  loadShifts();
  setInterval(() => {
    if (desk && desk.call && desk.call.ringing) {
      document.getElementById("call-waiting").textContent = waiting(desk.call);
    }
  }, 1000);
})();
