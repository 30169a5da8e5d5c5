// The duty leader's page (群众批评意见): the items by reply deadline; one item's text, its recorded
// message (listening asks for a reason, which goes to the audit log), and its handling: the category
// and whom it is about, the finding and the measure, the reply, closing; the month's analysis report
// (criticism-report.js).
import { byId, cell, element, emptyRow, pageData, say } from "./page.js";
import { get, post } from "./http.js";
import { localTime } from "./format.js";
import { criticismReport } from "./criticism-report.js";

const data = pageData();
let current = null;

function query() {
  const params = new URLSearchParams();
  const state = byId("filter-state").value;
  if (state === "closed") params.set("state", "closed");
  if (byId("filter-mine").checked) params.set("assigned_to", data.username);
  if (byId("filter-overdue").checked) params.set("overdue", "true");
  return params;
}

async function load() {
  const page = await get(`/api/v1/criticism?${query()}`, "读取意见失败");
  if (!page) return;
  const state = byId("filter-state").value;
  const items = state === "" ? page.items.filter((item) => item.state !== "closed") : page.items;
  const body = byId("items").tBodies[0];
  body.replaceChildren();
  if (!items.length) emptyRow(body, "没有需要办理的意见", 7);
  for (const item of items) {
    const row = body.insertRow();
    row.dataset.number = item.number;
    if (item.overdue) row.className = "overdue";
    const link = element("a", null, item.number);
    link.href = "#";
    link.addEventListener("click", (event) => { event.preventDefault(); open(item.number); });
    row.insertCell().append(link);
    cell(row, item.channel_label);
    cell(row, localTime(item.received_at));
    cell(row, item.category_label || "待确认");
    cell(row, item.overdue ? `${item.state_label}（超期）` : item.state_label);
    cell(row, item.due_at ? localTime(item.due_at) : "");
    cell(row, item.assigned_to || "未分配");
  }
}

async function open(number) {
  const item = await get(`/api/v1/criticism/${encodeURIComponent(number)}`, "读取意见失败");
  if (!item) return;
  current = item;
  show(item);
}

function show(item) {
  byId("detail").hidden = false;
  byId("detail-number").textContent = item.number;
  byId("detail-state").textContent = `（${item.state_label}${item.overdue ? "，已超期" : ""}）`;
  byId("detail-channel").textContent = item.channel_label;
  byId("detail-who").textContent = [item.name, item.phone].filter(Boolean).join(" ") || "未留";
  byId("detail-due").textContent = item.due_at ? localTime(item.due_at) : "";
  byId("detail-text").textContent = item.text || (item.recording_id ? "（电话留言，请复听录音）" : "");
  const suggested = categories.find((c) => c.key === item.suggested_category);
  byId("detail-suggested").textContent = suggested ? suggested.label : "无";
  byId("category").value = item.category || item.suggested_category || "";
  byId("target").value = item.target || "";
  byId("target-name").value = item.target_name || "";
  byId("listen").hidden = !item.recording_id;
  byId("player").hidden = true;
  byId("player").removeAttribute("src");
  byId("handle-form").hidden = item.state !== "assigned";
  byId("category-form").hidden = !["received", "assigned", "handled"].includes(item.state);
  byId("reply-form").hidden = item.state !== "handled";
  byId("close-form").hidden = item.state !== "replied";
  const steps = byId("steps");
  steps.replaceChildren();
  for (const step of item.steps) {
    steps.append(element("li", null, `${localTime(step.at)} ${step.actor} ${STEPS[step.action] || step.action}${step.note ? `：${step.note}` : ""}`));
  }
  byId("detail").scrollIntoView({ block: "start" });
}

const STEPS = { received: "收到", transcribed: "转写", assigned: "分配", categorised: "确认类别", handled: "核查", replied: "答复", closed: "办结" };
let categories = [];

async function act(path, body, done) {
  const item = await post(`/api/v1/criticism/${encodeURIComponent(current.number)}/${path}`, body, "办理失败");
  if (!item) return;
  current = item;
  show(item);
  say(done, true);
  load();
}

byId("category-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act("category", {
    category: byId("category").value,
    target: byId("target").value || null,
    target_name: byId("target-name").value.trim() || null,
  }, "类别已确认。");
});

byId("handle-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const chosen = document.querySelector('input[name="upheld"]:checked');
  if (!chosen) { say("请选择是否属实。", false); return; }
  act("handle", {
    upheld: chosen.value === "true",
    finding: byId("finding").value,
    measure: byId("measure").value.trim() || null,
  }, "核查结果已提交。");
});

byId("reply-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act("reply", { method: byId("reply-method").value, text: byId("reply-text").value }, "答复已记录。");
});

byId("close-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act("close", { note: byId("close-note").value }, "已办结。");
});

byId("start-listening").addEventListener("click", async () => {
  const reason = byId("listen-reason").value.trim();
  if (reason.length < 2) {
    say("请填写复听原因（至少 2 个字），复听会连同原因记入审计日志。", false);
    return;
  }
  const granted = await post(`/api/v1/recordings/${current.recording_id}/access`, { purpose: "play", reason }, "复听失败");
  if (!granted) return;
  const audio = byId("player");
  audio.src = granted.urls.caller;
  audio.hidden = false;
  audio.play().catch(() => { /* the leader presses play */ });
});

// A letter or a director's mailbox item, entered by the leader: numbered and shown at once.
byId("enter-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const day = byId("enter-date").value;
  const item = await post("/api/v1/criticism", {
    channel: byId("enter-channel").value,
    text: byId("enter-text").value,
    name: byId("enter-name").value.trim() || null,
    phone: byId("enter-phone").value.trim() || null,
    received_at: day ? new Date(`${day}T09:00:00`).toISOString() : null,  // that day, in office hours
  }, "录入失败");
  if (!item) return;
  byId("enter-form").reset();
  byId("enter").open = false;
  say(`已录入，编号 ${item.number}。`, true);
  await load();
  await open(item.number);
});

for (const id of ["filter-state", "filter-mine", "filter-overdue"]) byId(id).addEventListener("change", load);

(async () => {
  categories = (await get("/api/v1/criticism/categories", "读取类别失败")) || [];
  const select = byId("category");
  select.append(element("option", null, "请选择"));
  select.options[0].value = "";
  for (const category of categories) {
    const option = element("option", null, category.label);
    option.value = category.key;
    select.append(option);
  }
  await load();
  await criticismReport(!!data.canPublish)();
  document.body.dataset.ready = "true";
})();
