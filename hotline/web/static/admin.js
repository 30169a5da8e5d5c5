// Admin: users and roles, lawyers and SIP credentials (shown once), queue settings.
"use strict";

(() => {
  const { roles } = window.HOTLINE;

  async function get(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) { Hotline.say(data.message || "读取失败。", false); return null; }
    return data;
  }

  async function send(method, url, body) {
    if (method === "POST") return Hotline.post(url, body);
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) { Hotline.say(`操作失败（${data.error_id || response.status}）：${data.message}`, false); return null; }
    return data;
  }

  function showSecret(fields) {
    const box = document.getElementById("secret");
    const list = document.getElementById("secret-fields");
    list.replaceChildren();
    for (const [label, value, id] of fields) {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value; dd.id = id;
      list.append(dt, dd);
    }
    box.hidden = false;
  }

  function showCredentials(c) {
    showSecret([["SIP 用户名", c.sip_user, "secret-sip-user"], ["SIP 密码", c.sip_password, "secret-sip-password"],
                ["服务器", c.sip_server, "secret-sip-server"]]);
    if (c.note) Hotline.say(c.note, false);
  }

  function button(parent, label, onClick) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "small"; b.textContent = label;
    b.addEventListener("click", onClick);
    parent.append(b);
    return b;
  }

  async function loadUsers() {
    const users = await get("/api/v1/users");
    if (!users) return;
    const body = document.querySelector("#users tbody");
    body.replaceChildren();
    for (const u of users) {
      const row = body.insertRow();
      row.dataset.username = u.username;
      Hotline.cell(row, u.username);
      Hotline.cell(row, roles[u.role] || u.role);
      Hotline.cell(row, !u.active ? "已停用" : u.locked ? "已锁定" : "正常", "user-state");
      Hotline.cell(row, u.lawyer_extension || "—");
      Hotline.cell(row, u.phone_extension || "—");
      const actions = row.insertCell();
      button(actions, u.active ? "停用" : "启用", async () => {
        if (await send("PATCH", `/api/v1/users/${encodeURIComponent(u.username)}`, { active: !u.active })) loadUsers();
      }).dataset.action = "toggle";
      if (u.role === "supervisor") {
        button(actions, "分配监听话机", async () => {
          const extension = prompt("监听话机分机号（3-8 位数字）", u.phone_extension || "");
          if (!extension) return;
          const c = await Hotline.post(`/api/v1/users/${encodeURIComponent(u.username)}/phone`, { extension });
          if (c) { showCredentials(c); loadUsers(); }
        }).dataset.action = "phone";
      }
    }
  }

  async function loadLawyers() {
    const lawyers = await get("/api/v1/lawyers");
    if (!lawyers) return;
    const body = document.querySelector("#lawyers tbody");
    body.replaceChildren();
    for (const l of lawyers) {
      const row = body.insertRow();
      row.dataset.extension = l.extension;
      Hotline.cell(row, l.extension);
      Hotline.cell(row, l.name);
      Hotline.cell(row, l.firm || "—");
      Hotline.cell(row, Object.entries(l.skills).map(([t, v]) => `${t}:${v}`).join(" ") || "—");
      Hotline.cell(row, l.dialects.join(" ") || "—");
      button(row.insertCell(), "重置 SIP 密码", async () => {
        const c = await Hotline.post(`/api/v1/lawyers/${l.extension}/sip-password`, {});
        if (c) showCredentials(c);
      }).dataset.action = "reset-sip";
    }
  }

  async function loadQueueSettings() {
    const data = await get("/api/v1/queue-settings");
    if (!data) return;
    const body = document.querySelector("#queue-settings tbody");
    body.replaceChildren();
    for (const s of data.settings) {
      const row = body.insertRow();
      Hotline.cell(row, s.label);
      const input = document.createElement("input");
      Object.assign(input, { type: "number", name: s.name, value: s.value, min: s.minimum, max: s.maximum });
      input.setAttribute("aria-label", s.label);
      row.insertCell().append(input);
      Hotline.cell(row, s.default, "number");
      Hotline.cell(row, `${s.minimum}–${s.maximum}`);
    }
  }

  document.getElementById("add-user").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { username: form.get("username"), role: form.get("role") };
    if (form.get("lawyer_extension")) body.lawyer_extension = form.get("lawyer_extension");
    const created = await Hotline.post("/api/v1/users", body);
    if (!created) return;
    showSecret([["用户名", created.username, "secret-username"], ["初始密码", created.password, "secret-password"]]);
    event.target.reset();
    loadUsers();
  });

  document.getElementById("add-lawyer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const c = await Hotline.post("/api/v1/lawyers", {
      name: form.get("name"), extension: form.get("extension"), firm: form.get("firm") || null,
    });
    if (!c) return;
    showCredentials(c);
    event.target.reset();
    loadLawyers();
  });

  document.getElementById("queue-settings").addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const input of event.target.querySelectorAll("input[type=number]")) values[input.name] = Number(input.value);
    const saved = await send("PUT", "/api/v1/queue-settings", values);
    if (saved) { Hotline.say(saved.note || "队列设置已保存并生效。", !saved.note); loadQueueSettings(); }
  });

  loadUsers();
  loadLawyers();
  loadQueueSettings();
})();
