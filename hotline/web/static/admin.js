// Admin: users and roles, lawyers and SIP credentials (shown once), queue settings.
import { button, byId, cell, pageData, say } from "./page.js";
import { get, patch, post, put } from "./http.js";

const { roles } = pageData();
const READ_FAILED = "读取失败";

function showSecret(fields) {
  const list = byId("secret-fields");
  list.replaceChildren();
  for (const [label, value, id] of fields) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    dd.id = id;
    list.append(dt, dd);
  }
  byId("secret").hidden = false;
}

function showCredentials(c) {
  showSecret([["SIP 用户名", c.sip_user, "secret-sip-user"], ["SIP 密码", c.sip_password, "secret-sip-password"],
              ["服务器", c.sip_server, "secret-sip-server"]]);
  if (c.note) say(c.note, false);
}

async function loadUsers() {
  const users = await get("/api/v1/users", READ_FAILED);
  if (!users) return;
  const body = document.querySelector("#users tbody");
  body.replaceChildren();
  for (const u of users) {
    const row = body.insertRow();
    row.dataset.username = u.username;
    cell(row, u.username);
    cell(row, roles[u.role] || u.role);
    cell(row, !u.active ? "已停用" : u.locked ? "已锁定" : "正常", "user-state");
    cell(row, u.lawyer_extension || "—");
    cell(row, u.phone_extension || "—");
    const actions = row.insertCell();
    button(actions, u.active ? "停用" : "启用", async () => {
      if (await patch(`/api/v1/users/${encodeURIComponent(u.username)}`, { active: !u.active })) loadUsers();
    }).dataset.action = "toggle";
    if (u.role === "supervisor") {
      button(actions, "分配监听话机", async () => {
        const extension = prompt("监听话机分机号（3-8 位数字）", u.phone_extension || "");
        if (!extension) return;
        const c = await post(`/api/v1/users/${encodeURIComponent(u.username)}/phone`, { extension });
        if (c) { showCredentials(c); loadUsers(); }
      }).dataset.action = "phone";
    }
  }
}

async function loadLawyers() {
  const lawyers = await get("/api/v1/lawyers", READ_FAILED);
  if (!lawyers) return;
  const body = document.querySelector("#lawyers tbody");
  body.replaceChildren();
  for (const l of lawyers) {
    const row = body.insertRow();
    row.dataset.extension = l.extension;
    cell(row, l.extension);
    cell(row, l.name);
    cell(row, l.firm || "—");
    cell(row, Object.entries(l.skills).map(([t, v]) => `${t}:${v}`).join(" ") || "—");
    cell(row, l.dialects.join(" ") || "—");
    cell(row, `${l.phone === "browser" ? "浏览器话机" : "SIP 软电话"}${l.video ? "（接受视频咨询）" : ""}`, "phone");
    button(row.insertCell(), "重置 SIP 密码", async () => {
      const c = await post(`/api/v1/lawyers/${l.extension}/sip-password`, {});
      if (c) showCredentials(c);
    }).dataset.action = "reset-sip";
  }
}

async function loadQueueSettings() {
  const data = await get("/api/v1/queue-settings", READ_FAILED);
  if (!data) return;
  const body = document.querySelector("#queue-settings tbody");
  body.replaceChildren();
  for (const s of data.settings) {
    const row = body.insertRow();
    cell(row, s.label);
    const input = document.createElement("input");
    Object.assign(input, { type: "number", name: s.name, value: s.value, min: s.minimum, max: s.maximum });
    input.setAttribute("aria-label", s.label);
    row.insertCell().append(input);
    cell(row, s.default, "number");
    cell(row, `${s.minimum}–${s.maximum}`);
  }
}

byId("add-user").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { username: form.get("username"), role: form.get("role") };
  if (form.get("lawyer_extension")) body.lawyer_extension = form.get("lawyer_extension");
  const created = await post("/api/v1/users", body);
  if (!created) return;
  showSecret([["用户名", created.username, "secret-username"], ["初始密码", created.password, "secret-password"]]);
  event.target.reset();
  loadUsers();
});

byId("add-lawyer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const c = await post("/api/v1/lawyers", {
    name: form.get("name"), extension: form.get("extension"), firm: form.get("firm") || null,
  });
  if (!c) return;
  showCredentials(c);
  event.target.reset();
  loadLawyers();
});

byId("queue-settings").addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = {};
  for (const input of event.target.querySelectorAll("input[type=number]")) values[input.name] = Number(input.value);
  const saved = await put("/api/v1/queue-settings", values);
  if (saved) { say(saved.note || "队列设置已保存并生效。", !saved.note); loadQueueSettings(); }
});

loadUsers();
loadLawyers();
loadQueueSettings();
