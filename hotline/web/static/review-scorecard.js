// The review page's scorecard: the form built from the review's scorecard, the total as the server
// will compute it, saving a draft and submitting (then the grade is locked).
import { byId, element, say } from "./page.js";
import { failure, request } from "./http.js";
import { localTime, points, timeOfDay } from "./format.js";
import { REVIEW_STATES } from "./review-labels.js";

// The total as the server computes it (quality/scoring.py): the points given over the points of
// the scored, applicable items (不适用 and unscored ones left out) x 100, one decimal; 0 when an
// auto-fail item failed (一票否决).
function preview(items, scores) {
  let given = 0;
  let possible = 0;
  let vetoed = false;
  let scored = 0;
  for (const item of items) {
    const value = scores[item.key];
    if (value === undefined) continue;
    scored += 1;
    if (value === null) continue;
    if (item.auto_fail && value === 0) vetoed = true;
    given += value;
    possible += item.points;
  }
  const total = vetoed ? 0 : possible ? Math.round((1000 * given) / possible) / 10 : null;
  return { total, vetoed, scored };
}

function itemRow(item) {
  const row = element("div", item.auto_fail ? "item auto-fail" : "item");
  row.dataset.item = item.key;
  row.dataset.points = item.points;
  row.dataset.autoFail = item.auto_fail;
  const head = element("div", "item-head");
  const label = element("span", "item-label", item.label);
  label.id = `label-${item.key}`;
  head.append(label, element("span", "item-points", item.auto_fail ? `${item.points} 分 · 一票否决项` : `${item.points} 分`));
  row.append(head);
  if (item.guidance) row.append(element("p", "hint guidance", item.guidance));

  const controls = element("div", "item-controls");
  if (item.auto_fail) {
    for (const [value, text] of [[item.points, "合格"], [0, "不合格"]]) {
      const choice = element("label", "choice");
      const radio = element("input");
      Object.assign(radio, { type: "radio", name: `score-${item.key}`, value });
      choice.append(radio, text);
      controls.append(choice);
    }
  } else {
    const select = element("select", "score");
    select.name = `score-${item.key}`;
    select.setAttribute("aria-labelledby", label.id);
    select.append(new Option("未评分", ""), new Option("不适用", "na"));
    for (let value = item.points; value >= 0; value -= 1) select.append(new Option(`${value} 分`, String(value)));
    controls.append(select);
  }
  const comment = element("input", "item-comment");
  Object.assign(comment, { type: "text", name: `comment-${item.key}`, placeholder: "备注（可选）", maxLength: 1000 });
  comment.setAttribute("aria-label", `${item.label}：备注`);
  controls.append(comment);
  row.append(controls);
  return row;
}

function rows() {
  return document.querySelectorAll("#scorecard [data-item]");
}

// What the form says: item key -> points, null (不适用); unscored items are left out.
function readScores() {
  const scores = {};
  const comments = {};
  for (const row of rows()) {
    const key = row.dataset.item;
    let value;
    if (row.dataset.autoFail === "true") {
      const checked = row.querySelector("input[type=radio]:checked");
      if (checked) value = Number(checked.value);
    } else {
      const chosen = row.querySelector("select").value;
      if (chosen === "na") value = null;
      else if (chosen !== "") value = Number(chosen);
    }
    if (value !== undefined) scores[key] = value;
    const comment = row.querySelector(".item-comment").value.trim();
    if (comment) comments[key] = comment;
  }
  return { scores, comments };
}

function markMissing(keys) {
  const missing = new Set(keys);
  let first = null;
  for (const row of rows()) {
    row.classList.toggle("missing", missing.has(row.dataset.item));
    if (!first && missing.has(row.dataset.item)) first = row;
  }
  if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
}

// ``username``: who may score (the assigned reviewer); ``onSaved(review)``: the review as saved;
// ``onLocked(id)``: it was submitted meanwhile (read it again).
export function reviewScorecard({ username, onSaved, onLocked }) {
  let review = null;  // the review in the form
  let dirty = false;  // scores changed since the last save

  const items = () => review.scorecard.sections.flatMap((section) => section.items);

  // Submitted reviews are locked; a supervisor may look at others' reviews but not score them.
  const readOnly = () => review.state === "submitted" || review.reviewer !== username;

  function build() {
    const card = review.scorecard;
    byId("scorecard-name").textContent = `${card.name}（第 ${card.version} 版）`;
    const box = byId("sections");
    box.replaceChildren();
    for (const section of card.sections) {
      const fieldset = element("fieldset", "section");
      const total = section.items.reduce((sum, item) => sum + item.points, 0);
      fieldset.append(element("legend", null, `${section.title}（${total} 分）`));
      for (const item of section.items) fieldset.append(itemRow(item));
      box.append(fieldset);
    }
  }

  function renderScores() {
    const has = (key) => Object.prototype.hasOwnProperty.call(review.scores, key);
    for (const row of rows()) {
      const key = row.dataset.item;
      const value = has(key) ? review.scores[key] : undefined;
      if (row.dataset.autoFail === "true") {
        for (const radio of row.querySelectorAll("input[type=radio]")) {
          radio.checked = value !== undefined && value !== null && Number(radio.value) === value;
        }
      } else {
        row.querySelector("select").value = value === undefined ? "" : value === null ? "na" : String(value);
      }
      row.querySelector(".item-comment").value = (review.comments || {})[key] || "";
      row.classList.remove("missing");
    }
    byId("comment").value = review.comment || "";
    const locked = readOnly();
    for (const input of byId("scorecard").querySelectorAll("input, select, textarea")) input.disabled = locked;
    byId("save-draft").hidden = locked;
    byId("submit-review").hidden = locked;
    const state = byId("review-state");
    state.textContent = REVIEW_STATES[review.state] || review.state;
    state.dataset.state = review.state;
    state.className = `badge review-${review.state}`;
    byId("save-status").textContent = review.state === "submitted"
      ? `已提交于 ${localTime(review.submitted_at)}，评分已锁定，不可修改。`
      : locked ? `该评查任务由 ${review.reviewer} 负责，您只能查看。` : "";
    updateTotal();
  }

  function updateTotal() {
    const { scores } = readScores();
    const guess = preview(items(), scores);
    const final = review.state === "submitted";
    const total = final ? review.total : guess.total;
    const vetoed = final ? !!review.auto_failed || guess.vetoed : guess.vetoed;
    const box = byId("total");
    box.textContent = points(total);
    box.dataset.total = total === null || total === undefined ? "" : total;
    box.dataset.final = final;
    box.classList.toggle("failed", vetoed);
    byId("veto").hidden = !vetoed;
    for (const row of rows()) {
      const value = scores[row.dataset.item];
      row.classList.toggle("failed", row.dataset.autoFail === "true" && value === 0);
    }
    byId("progress").textContent = final ? "最终得分" : `已评 ${guess.scored} / ${items().length} 项（预估得分）`;
  }

  async function save(submit) {
    const id = review.id;
    const { scores, comments } = readScores();
    const body = { scores, comments, comment: byId("comment").value.trim(), submit };
    const result = await request("PUT", `/api/v1/reviews/${id}`, body);
    if (!review || review.id !== id) return;
    if (!result.ok) {
      say(failure(result), false);
      if (result.data.error_id === "review-incomplete") markMissing((result.data.details || {}).missing || []);
      if (result.data.error_id === "review-locked") onLocked(id);
      return;
    }
    review = result.data;
    dirty = false;
    onSaved(review);
    renderScores();
    if (submit) {
      say(`评分已提交：${points(review.total)}${review.auto_failed ? "（一票否决）" : ""}。`, true);
    } else {
      say("草稿已保存。", true);
      byId("save-status").textContent = `草稿已保存（${timeOfDay()}）`;
    }
  }

  byId("scorecard").addEventListener("change", () => { dirty = true; updateTotal(); });
  byId("scorecard").addEventListener("input", () => { dirty = true; });
  byId("save-draft").addEventListener("click", () => save(false));
  byId("scorecard").addEventListener("submit", (event) => {
    event.preventDefault();
    const { scores } = readScores();
    const missing = items().filter((item) => scores[item.key] === undefined);
    if (missing.length) {
      markMissing(missing.map((item) => item.key));
      say(`还有 ${missing.length} 项未评分：${missing.map((item) => item.label).join("；")}`, false);
      return;
    }
    if (!confirm("提交后不可修改，确定提交评分吗？")) return;
    save(true);
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  return {
    // Show ``opened`` in the form (its scores as saved).
    show(opened) {
      review = opened;
      dirty = false;
      build();
      renderScores();
    },
    get dirty() { return dirty; },
  };
}
