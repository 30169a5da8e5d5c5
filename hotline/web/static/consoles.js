// Shared by the consoles: API calls with the CSRF header, live streams, Chinese labels.
"use strict";

// The page's data: a JSON block, not a script (the Content-Security-Policy runs no inline script).
window.HOTLINE = JSON.parse(document.getElementById("hotline-data")?.textContent || "{}");

const Hotline = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  const STATES = {
    free: "空闲", ringing: "振铃", on_call: "通话中", paused: "示忙",
    unavailable: "话机未注册", logged_out: "未签入",
  };
  const OUTCOMES = { answered: "已接听", transferred: "已转接", voicemail: "留言", abandoned: "放弃" };

  // Server time minus browser time, from the last message (counters use the server's clock).
  let skew = 0;
  const now = () => Date.now() / 1000 + skew;

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    seconds = Math.max(0, Math.round(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) return `${h} 小时 ${m} 分`;
    if (m) return `${m} 分 ${s} 秒`;
    return `${s} 秒`;
  }

  function percent(ratio) {
    return ratio === null || ratio === undefined ? "—" : `${Math.round(ratio * 100)}%`;
  }

  function say(text, ok) {
    const box = document.getElementById("message");
    box.hidden = false;
    box.className = ok ? "notice" : "error";
    box.textContent = text;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok) {
      const reason = data.message || data.detail || response.statusText;
      say(`操作失败（${data.error_id || response.status}）：${reason}`, false);
      return null;
    }
    return data;
  }

  // Follow a Server-Sent Events stream; the browser reconnects by itself after an outage.
  function live(url, render) {
    const status = document.getElementById("live-status");
    const source = new EventSource(url);
    source.onopen = () => { status.textContent = "已连接"; status.dataset.state = "open"; };
    source.onerror = () => { status.textContent = "连接中断，正在重连…"; status.dataset.state = "error"; };
    source.onmessage = (event) => {
      const data = JSON.parse(event.data);
      skew = data.at - Date.now() / 1000;
      render(data);
    };
    return source;
  }

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function stateBadge(element, state, pauseLabel) {
    element.className = `state state-${state}`;
    element.dataset.state = state;
    element.textContent = state === "paused" && pauseLabel ? `${STATES[state]}（${pauseLabel}）` : STATES[state];
  }

  return { STATES, OUTCOMES, now, duration, percent, say, post, live, cell, stateBadge };
})();
