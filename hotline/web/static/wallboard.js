// The supervisor's wallboard: queues and lawyers, live; listen in and force pauses; overdue tickets.
"use strict";

(() => {
  const { canListen, canPause, canHandleAlerts, canManageTickets } = window.HOTLINE;
  let board = null;

  function renderQueues() {
    const body = document.querySelector("#queues tbody");
    body.replaceChildren();
    for (const q of board.queues) {
      const row = body.insertRow();
      row.dataset.queue = q.queue;
      if (q.waiting) row.className = "alert";
      Hotline.cell(row, q.label);
      Hotline.cell(row, q.waiting, "number waiting");
      const longest = Hotline.cell(row, q.oldest_since ? Hotline.duration(Hotline.now() - q.oldest_since) : "—", "number longest");
      longest.dataset.since = q.oldest_since || "";
      Hotline.cell(row, q.answered, "number answered");
      Hotline.cell(row, q.abandoned, "number abandoned");
      Hotline.cell(row, Hotline.percent(q.service_level), "number service-level");
      Hotline.cell(row, q.average_wait === null ? "—" : Hotline.duration(q.average_wait), "number average-wait");
      Hotline.cell(row, q.average_rating === null ? "—" : q.average_rating.toFixed(1), "number average-rating");
    }
  }

  function button(parent, label, onClick, className) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `small ${className || ""}`;
    b.textContent = label;
    b.addEventListener("click", onClick);
    parent.append(b);
    return b;
  }

  async function listen(extension, mode, label) {
    const done = await Hotline.post(`/api/v1/wallboard/lawyers/${extension}/listen`, { mode });
    if (done) Hotline.say(`正在呼叫您的话机，接起后即可${label}（${extension}）。`, true);
  }

  async function pause(extension) {
    const reason = document.getElementById("pause-reason").value;
    const done = await Hotline.post(`/api/v1/lawyers/${extension}/pause`, { reason });
    if (done) Hotline.say(`已将 ${extension} 强制示忙（${done.reason_label}），不再分配来电。`, true);
  }

  async function resume(extension) {
    const done = await Hotline.post(`/api/v1/lawyers/${extension}/resume`, {});
    if (done) Hotline.say(`${extension} 已恢复接听。`, true);
  }

  function renderLawyers() {
    const body = document.querySelector("#lawyers tbody");
    body.replaceChildren();
    for (const l of board.lawyers) {
      const row = body.insertRow();
      row.dataset.extension = l.extension;
      Hotline.cell(row, l.extension);
      Hotline.cell(row, l.name);
      const badge = document.createElement("span");
      Hotline.stateBadge(badge, l.state, l.pause_label);
      row.insertCell().append(badge);
      row.cells[2].className = "state-cell";
      Hotline.cell(row, l.calls_today, "number calls");
      Hotline.cell(row, Hotline.duration(l.talk_seconds), "number talk");
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

  Hotline.live("/api/v1/wallboard/stream", (data) => {
    const first = !board;
    board = data;
    renderQueues();
    renderLawyers();
    if (first && canManageTickets) renderOverdue();  // the lawyers' names arrived
  });
  // Keyword alerts come from transcripts, minutes after a call: polled, not streamed.
  const LEGS = { caller: "来电人", lawyer: "律师" };

  async function acknowledge(id) {
    if (await Hotline.post(`/api/v1/alerts/${id}/acknowledge`, {})) loadAlerts();
  }

  async function loadAlerts() {
    const response = await fetch("/api/v1/alerts", { credentials: "same-origin" });
    if (!response.ok) return;
    const alerts = await response.json();
    const body = document.querySelector("#alerts tbody");
    body.replaceChildren();
    if (!alerts.length) {
      const row = body.insertRow();
      row.className = "empty";
      Hotline.cell(row, "暂无预警").colSpan = 5;
      return;
    }
    for (const a of alerts) {
      const row = body.insertRow();
      row.dataset.alertId = a.id;
      row.className = a.category === "safety" ? "alert" : "";
      Hotline.cell(row, a.started_at ? new Date(a.started_at).toLocaleString("zh-CN") : "—");
      Hotline.cell(row, a.lawyer || "—");
      Hotline.cell(row, a.keyword, "keyword");
      Hotline.cell(row, `${LEGS[a.leg] || a.leg} ${Hotline.duration(a.at_seconds)}`);
      const actions = row.insertCell();
      button(actions, "确认", () => acknowledge(a.id)).dataset.action = "acknowledge";
    }
  }

  if (canHandleAlerts) {
    loadAlerts();
    setInterval(loadAlerts, 30000);
  }

  // Overdue tickets (限时办结): polled like the alerts; how long overdue counts on between polls.
  const KINDS = { call: "来电", voicemail: "留言" };
  let overdue = [];

  function lawyerName(extension) {
    if (!extension) return "未指派";
    const lawyer = board && board.lawyers.find((l) => l.extension === extension);
    return lawyer && lawyer.name && lawyer.name !== extension ? `${lawyer.name}（${extension}）` : extension;
  }

  function late(seconds) {
    const days = Math.floor(seconds / 86400);
    if (!days) return Hotline.duration(seconds);
    return `${days} 天 ${Math.floor((seconds % 86400) / 3600)} 小时`;
  }

  function localTime(iso) {
    return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "—";
  }

  function renderOverdue() {
    const body = document.querySelector("#overdue-tickets tbody");
    body.replaceChildren();
    if (!overdue.length) {
      const row = body.insertRow();
      row.className = "empty";
      Hotline.cell(row, "暂无超期工单").colSpan = 7;
      return;
    }
    for (const t of overdue) {
      const row = body.insertRow();
      row.dataset.number = t.number;
      row.dataset.lawyer = t.lawyer || "";
      row.dataset.escalated = !!t.escalated_at;
      Hotline.cell(row, t.number);
      Hotline.cell(row, lawyerName(t.lawyer));
      Hotline.cell(row, KINDS[t.kind] || t.kind);
      Hotline.cell(row, t.outcome_label || "未填写");
      Hotline.cell(row, localTime(t.due_at));
      const due = Date.parse(t.due_at) / 1000;
      Hotline.cell(row, late(Hotline.now() - due), "late").dataset.due = due;
      Hotline.cell(row, t.escalated_at ? `已上报（${localTime(t.escalated_at)}）` : "—", "escalated");
    }
  }

  async function loadOverdue() {
    const response = await fetch("/api/v1/tickets?overdue=true&limit=500", { credentials: "same-origin" });
    if (!response.ok) return;
    overdue = (await response.json()).items;
    renderOverdue();
  }

  // Dead letters: hand-offs the receiver refused or that failed too often; retried by hand.
  async function loadDead() {
    const response = await fetch("/api/v1/handoffs?state=dead", { credentials: "same-origin" });
    if (!response.ok) return;
    const dead = await response.json();
    const body = document.querySelector("#dead-handoffs tbody");
    body.replaceChildren();
    if (!dead.length) {
      const row = body.insertRow();
      row.className = "empty";
      Hotline.cell(row, "暂无").colSpan = 6;
      return;
    }
    for (const d of dead) {
      const row = body.insertRow();
      row.dataset.handoffId = d.id;
      Hotline.cell(row, d.ticket_number);
      Hotline.cell(row, d.destination === "gov-12345" ? "12345 热线" : "案件系统");
      Hotline.cell(row, d.event);
      Hotline.cell(row, d.attempts, "number");
      Hotline.cell(row, d.last_error || (d.last_status ? `HTTP ${d.last_status}` : "—"));
      const actions = row.insertCell();
      button(actions, "重新发送", async () => {
        if (await Hotline.post(`/api/v1/handoffs/${d.id}/retry`, {})) loadDead();
      }).dataset.action = "retry";
    }
  }

  if (canManageTickets) {
    loadOverdue();
    loadDead();
    setInterval(loadOverdue, 60000);
    setInterval(loadDead, 60000);
  }

  // Waiting times count on between updates.
  setInterval(() => {
    for (const td of document.querySelectorAll("#queues td.longest")) {
      if (td.dataset.since) td.textContent = Hotline.duration(Hotline.now() - Number(td.dataset.since));
    }
    for (const td of document.querySelectorAll("#overdue-tickets td.late")) {
      td.textContent = late(Hotline.now() - Number(td.dataset.due));
    }
  }, 1000);
})();
