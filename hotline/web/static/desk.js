// The lawyer's desk: my state and pauses, the screen pop, three-way calls and transfers.
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
