// Quality review: my reviews, the audited player synced to the transcript, the scorecard.
"use strict";

(() => {
  const { canManage, username } = window.HOTLINE;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  const REASONS = { sample: "抽查", "low-rating": "差评复核", calibration: "校准", manual: "指派" };
  const REVIEW_STATES = { assigned: "待评", submitted: "已提交" };
  const LEGS = { caller: "来电人", lawyer: "律师" };
  const JOB_STATES = { queued: "排队中", running: "转写中", done: "已完成", failed: "失败" };
  const LOW_CONFIDENCE = 0.5;
  // A word stays highlighted this long after it ends (the pause before the next one).
  const HOLD_SECONDS = 0.3;

  const $ = (id) => document.getElementById(id);
  const player = $("player");
  const transcript = $("transcript");

  let reviews = [];       // the list, as GET /api/v1/reviews
  let review = null;      // the open review, as GET /api/v1/reviews/{id}
  let grant = null;       // the open review's listening grant (POST .../access)
  let words = [];         // the transcript's words, by start time: {start, end, el}
  let current = null;     // the highlighted word's span
  let pendingSeek = null; // seconds to seek to once the audio is loaded (a search hit)
  let dirty = false;      // scores changed since the last save

  // --- formatting ---------------------------------------------------------------------------

  function localTime(iso) {
    return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "—";
  }

  function localDate(iso) {
    return iso ? new Date(iso).toLocaleDateString("zh-CN") : "—";
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function points(total) {
    return total === null || total === undefined ? "—" : `${Math.round(total * 10) / 10} 分`;
  }

  function rating(value) {
    return value === null || value === undefined ? "未评价" : `${value} 分`;
  }

  // Chinese is written without spaces; other scripts (Korean, Latin) keep a space between words.
  function isIdeograph(char) {
    const code = char.codePointAt(0);
    return (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf)
      || (code >= 0x20000 && code <= 0x3134f) || (code >= 0xf900 && code <= 0xfaff)
      || (code >= 0x2f800 && code <= 0x2fa1f);
  }

  function joinsWithoutSpace(previous, next) {
    return isIdeograph(Array.from(previous).pop()) && isIdeograph(next);
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // --- the API ------------------------------------------------------------------------------

  // This page's own refusals in Chinese; others as the server words them.
  const ERRORS = {
    "review-locked": () => "该评查已提交，评分已锁定，不可修改。如需重评，请联系值班主管重新指派。",
    "review-incomplete": (details) => `还有 ${(details.missing || []).length} 项未评分，请评分（或选择“不适用”）后再提交。`,
    "review-not-yours": () => "只有被指派的评查员可以为该通话评分。",
    "review-not-found": () => "该评查任务不存在，或未指派给您。",
  };

  function failed(status, data) {
    const chinese = ERRORS[data.error_id];
    const text = chinese ? chinese(data.details || {}) : data.message || data.detail || "请稍后重试。";
    Hotline.say(`操作失败（${data.error_id || status}）：${text}`, false);
  }

  function topicOf(call) {
    return call.topic_label || call.topic || "未选择";
  }

  async function get(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { failed(response.status, data); return null; }
    return data;
  }

  async function put(url, body) {
    const response = await fetch(url, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  }

  // --- the list -----------------------------------------------------------------------------

  async function loadReviews() {
    const query = new URLSearchParams();
    if ($("filter-state").value) query.set("state", $("filter-state").value);
    if (canManage && $("filter-reviewer").value.trim()) query.set("reviewer", $("filter-reviewer").value.trim());
    const list = await get(`/api/v1/reviews${query.toString() ? `?${query}` : ""}`);
    if (!list) return;
    // To do first (待评), then the rest; newest first within each, as the server sends them.
    reviews = list.filter((r) => r.state === "assigned").concat(list.filter((r) => r.state !== "assigned"));
    renderList();
    const wanted = /^#review-(\d+)$/.exec(location.hash);
    if (!review && wanted) openReview(Number(wanted[1]));
  }

  function renderList() {
    const list = $("reviews");
    list.replaceChildren();
    $("no-reviews").hidden = reviews.length > 0;
    for (const r of reviews) {
      const li = element("li", `review-item state-${r.state}`);
      li.dataset.reviewId = r.id;
      li.dataset.recordingId = r.recording_id;
      li.dataset.state = r.state;
      li.tabIndex = 0;
      li.setAttribute("role", "button");
      if (review && review.id === r.id) li.setAttribute("aria-current", "true");
      const call = r.call || {};

      const top = element("div", "line");
      const reason = element("span", `badge reason-${r.reason}`, REASONS[r.reason] || r.reason);
      reason.dataset.reason = r.reason;
      top.append(reason, element("span", `badge review-${r.state}`, REVIEW_STATES[r.state] || r.state),
        element("strong", "lawyer", r.lawyer_name || r.lawyer || "—"));
      if (r.state === "submitted") {
        const total = element("span", "list-total", points(r.total));
        if (r.auto_failed) total.classList.add("failed");
        top.append(total);
      }
      const middle = element("div", "line hint", `${localDate(call.started_at)} · ${topicOf(call)}`);
      const bottom = element("div", "line hint", `${call.caller || "—"} · 评价 ${rating(call.rating)}`);
      if (canManage) bottom.textContent += ` · 评查员 ${r.reviewer}`;
      li.append(top, middle, bottom);

      li.addEventListener("click", () => openReview(r.id));
      li.addEventListener("keydown", (event) => { if (event.key === "Enter") openReview(r.id); });
      list.append(li);
    }
  }

  // --- one review ---------------------------------------------------------------------------

  // Open review ``id`` (again); ``seek``: play from there once the recording is loaded (a search hit).
  async function openReview(id, seek) {
    const same = review && review.id === id;
    if (dirty && !same && !confirm("当前评分尚未保存，确定切换到其他评查任务吗？")) return;
    if (!(same && dirty)) {  // unsaved scores of this review stay in the form
      const data = await get(`/api/v1/reviews/${id}`);
      if (!data) return;
      if (!review || review.id !== data.id) stopListening();
      review = data;
      dirty = false;
      history.replaceState(null, "", `#review-${id}`);
      $("pick").hidden = true;
      $("review").hidden = false;
      $("review").dataset.reviewId = review.id;
      renderList();
      renderFacts();
      buildScorecard();
      renderScores();
      loadCalibration();
    }
    pendingSeek = seek === undefined ? null : seek;
    if (pendingSeek === null) return;
    if (grant && grant.recording_id === review.recording_id && player.readyState >= 1) {
      playFrom(pendingSeek);
      pendingSeek = null;
    } else {
      Hotline.say(`请确认复听原因后点击“开始复听”，录音将从 ${clock(pendingSeek)} 处播放。`, true);
      $("listen").scrollIntoView({ block: "center", behavior: "smooth" });
      $("listen-reason").focus();
    }
  }

  function renderFacts() {
    const call = review.call || {};
    $("review-title").textContent = `通话评查 #${review.id}`;
    const lawyer = review.lawyer_name ? `${review.lawyer_name}（${review.lawyer}）` : review.lawyer || "—";
    const facts = {
      "fact-started": localTime(call.started_at),
      "fact-lawyer": lawyer,
      "fact-topic": topicOf(call),
      "fact-caller": call.caller || "—",
      "fact-talk": Hotline.duration(call.talk_seconds),
      "fact-rating": rating(call.rating),
      "fact-reason": REASONS[review.reason] || review.reason,
      "fact-reviewer": review.reviewer,
    };
    for (const [id, text] of Object.entries(facts)) $(id).textContent = text;
    if (review.calibration_group) $("fact-reason").textContent += `（校准组 ${review.calibration_group}）`;
  }

  function items() {
    return review.scorecard.sections.flatMap((section) => section.items);
  }

  function buildScorecard() {
    const card = review.scorecard;
    $("scorecard-name").textContent = `${card.name}（第 ${card.version} 版）`;
    const box = $("sections");
    box.replaceChildren();
    for (const section of card.sections) {
      const fieldset = element("fieldset", "section");
      const total = section.items.reduce((sum, item) => sum + item.points, 0);
      fieldset.append(element("legend", null, `${section.title}（${total} 分）`));
      for (const item of section.items) fieldset.append(itemRow(item));
      box.append(fieldset);
    }
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
    $("comment").value = review.comment || "";
    const locked = readOnly();
    for (const input of $("scorecard").querySelectorAll("input, select, textarea")) input.disabled = locked;
    $("save-draft").hidden = locked;
    $("submit-review").hidden = locked;
    const state = $("review-state");
    state.textContent = REVIEW_STATES[review.state] || review.state;
    state.dataset.state = review.state;
    state.className = `badge review-${review.state}`;
    $("save-status").textContent = review.state === "submitted"
      ? `已提交于 ${localTime(review.submitted_at)}，评分已锁定，不可修改。`
      : locked ? `该评查任务由 ${review.reviewer} 负责，您只能查看。` : "";
    updateTotal();
  }

  // Submitted reviews are locked; a supervisor may look at others' reviews but not score them.
  function readOnly() {
    return review.state === "submitted" || review.reviewer !== username;
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

  // The total as the server computes it (quality/scoring.py): the points given over the points of
  // the scored, applicable items (不适用 and unscored ones left out) x 100, one decimal; 0 when an
  // auto-fail item failed (一票否决).
  function preview(scores) {
    let given = 0;
    let possible = 0;
    let vetoed = false;
    let scored = 0;
    for (const item of items()) {
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

  function updateTotal() {
    const { scores } = readScores();
    const guess = preview(scores);
    const final = review.state === "submitted";
    const total = final ? review.total : guess.total;
    const vetoed = final ? !!review.auto_failed || guess.vetoed : guess.vetoed;
    const box = $("total");
    box.textContent = points(total);
    box.dataset.total = total === null || total === undefined ? "" : total;
    box.dataset.final = final;
    box.classList.toggle("failed", vetoed);
    $("veto").hidden = !vetoed;
    for (const row of rows()) {
      const value = scores[row.dataset.item];
      row.classList.toggle("failed", row.dataset.autoFail === "true" && value === 0);
    }
    const count = items().length;
    $("progress").textContent = final ? "最终得分" : `已评 ${guess.scored} / ${count} 项（预估得分）`;
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

  async function save(submit) {
    const id = review.id;
    const { scores, comments } = readScores();
    const body = { scores, comments, comment: $("comment").value.trim(), submit };
    const result = await put(`/api/v1/reviews/${id}`, body);
    if (!review || review.id !== id) return;
    if (!result.ok) {
      failed(result.status, result.data);
      if (result.data.error_id === "review-incomplete") markMissing((result.data.details || {}).missing || []);
      if (result.data.error_id === "review-locked") openReview(id);
      return;
    }
    review = result.data;
    dirty = false;
    const index = reviews.findIndex((r) => r.id === id);
    if (index >= 0) reviews[index] = review;
    renderList();
    renderScores();
    if (submit) {
      Hotline.say(`评分已提交：${points(review.total)}${review.auto_failed ? "（一票否决）" : ""}。`, true);
    } else {
      Hotline.say("草稿已保存。", true);
      $("save-status").textContent = `草稿已保存（${new Date().toLocaleTimeString("zh-CN", { hour12: false })}）`;
    }
  }

  $("scorecard").addEventListener("change", () => { dirty = true; updateTotal(); });
  $("scorecard").addEventListener("input", () => { dirty = true; });
  $("save-draft").addEventListener("click", () => save(false));
  $("scorecard").addEventListener("submit", (event) => {
    event.preventDefault();
    const { scores } = readScores();
    const missing = items().filter((item) => scores[item.key] === undefined);
    if (missing.length) {
      markMissing(missing.map((item) => item.key));
      Hotline.say(`还有 ${missing.length} 项未评分：${missing.map((item) => item.label).join("；")}`, false);
      return;
    }
    if (!confirm("提交后不可修改，确定提交评分吗？")) return;
    save(true);
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  // --- calibration (supervisors) -------------------------------------------------------------

  async function loadCalibration() {
    const box = $("calibration");
    box.hidden = true;
    if (!canManage || !review.calibration_group) return;
    const id = review.id;
    const data = await get(`/api/v1/calibrations/${encodeURIComponent(review.calibration_group)}`);
    if (!data || !review || review.id !== id) return;
    const head = box.querySelector("thead tr");
    head.replaceChildren();
    for (const title of ["评分项", ...data.reviewers, "平均", "最低", "最高", "分差"]) head.append(element("th", null, title));
    const body = box.querySelector("tbody");
    body.replaceChildren();
    const number = (value) => (value === null || value === undefined ? "—" : String(Math.round(value * 10) / 10));
    // Only submitted reviews are compared; null is 不适用.
    const submitted = new Set(data.submitted || data.reviewers);
    const given = (name, value) => (!submitted.has(name) ? "未提交" : value === null ? "不适用" : number(value));
    for (const item of data.items) {
      const row = body.insertRow();
      row.dataset.item = item.key;
      if (item.spread > 0) row.className = "spread";
      Hotline.cell(row, item.label);
      for (const name of data.reviewers) Hotline.cell(row, given(name, item.scores[name]), "number");
      Hotline.cell(row, number(item.mean), "number");
      Hotline.cell(row, number(item.min), "number");
      Hotline.cell(row, number(item.max), "number");
      Hotline.cell(row, number(item.spread), "number item-spread");
    }
    const totals = body.insertRow();
    totals.className = data.total_spread > 0 ? "totals spread" : "totals";
    Hotline.cell(totals, "总分");
    for (const name of data.reviewers) Hotline.cell(totals, given(name, data.totals[name]), "number");
    Hotline.cell(totals, "");
    Hotline.cell(totals, "");
    Hotline.cell(totals, "");
    Hotline.cell(totals, number(data.total_spread), "number item-spread");
    box.hidden = false;
  }

  // --- listening and the transcript ------------------------------------------------------------

  function stopListening() {
    grant = null;
    words = [];
    current = null;
    player.pause();
    player.removeAttribute("src");
    player.load();
    player.hidden = true;
    transcript.hidden = true;
    transcript.replaceChildren();
    $("start-listening").textContent = "开始复听";
  }

  function playFrom(seconds) {
    player.currentTime = seconds;
    player.play().catch(() => { /* the reviewer presses play */ });
  }

  $("start-listening").addEventListener("click", async () => {
    if (!review) return;
    const reason = $("listen-reason").value.trim();
    if (reason.length < 2) {
      Hotline.say("请填写复听原因（至少 2 个字），复听会连同原因记入审计日志。", false);
      $("listen-reason").focus();
      return;
    }
    const id = review.id;
    const granted = await Hotline.post(`/api/v1/recordings/${review.recording_id}/access`, { purpose: "play", reason });
    if (!granted || !review || review.id !== id) return;
    stopListening();
    grant = granted;
    player.src = granted.urls.mix;
    player.hidden = false;
    $("start-listening").textContent = "重新开始复听";
    $("message").hidden = true;
    loadTranscript();
  });

  player.addEventListener("loadedmetadata", () => {
    if (pendingSeek !== null) {
      playFrom(pendingSeek);
      pendingSeek = null;
    }
  });
  player.addEventListener("error", () => {
    if (grant) Hotline.say("录音无法播放（访问授权可能已过期），请重新点击“开始复听”。", false);
  });

  async function loadTranscript() {
    const id = review.id;
    transcript.hidden = false;
    transcript.replaceChildren(element("p", "hint", "正在读取通话转写…"));
    const data = await get(grant.transcript_url);
    if (!data || !review || review.id !== id) return;
    renderTranscript(data);
  }

  function jobNote(jobs) {
    const parts = jobs.filter((job) => job.state !== "done").map((job) => {
      const state = JOB_STATES[job.state] || job.state;
      const error = job.state === "failed" && job.last_error ? `：${job.last_error}` : "";
      return `${LEGS[job.leg] || job.leg}：${state}${error}`;
    });
    return parts.join("；");
  }

  function renderTranscript(data) {
    transcript.replaceChildren();
    words = [];
    current = null;
    const legWords = Object.fromEntries(data.legs.map((leg) => [leg.leg, leg.words]));
    const pending = jobNote(data.jobs || []);
    if (!data.turns.length) {
      const text = pending ? `暂无转写（${pending}）` : "暂无转写：录音尚未排入转写队列。";
      const note = element("p", "hint transcript-status", text);
      if ((data.jobs || []).some((job) => job.state === "failed")) note.className = "error transcript-status";
      transcript.append(note);
      return;
    }
    if (pending) transcript.append(element("p", "hint transcript-status", `部分转写未完成（${pending}）`));
    for (const turn of data.turns) {
      const block = element("div", `turn leg-${turn.leg}`);
      block.dataset.leg = turn.leg;
      const head = element("div", "turn-head");
      const at = element("button", "small link turn-at", clock(turn.start));
      at.type = "button";
      at.dataset.start = turn.start;
      head.append(element("span", "speaker", LEGS[turn.leg] || turn.leg), at);
      const line = element("p", "words");
      let previous = "";
      const said = legWords[turn.leg] || [];
      for (let index = turn.first_word; index <= turn.last_word; index += 1) {
        const [text, start, end, confidence] = said[index] || [];
        if (!text) continue;
        if (previous && !joinsWithoutSpace(previous, text)) line.append(" ");
        const word = element("span", confidence < LOW_CONFIDENCE ? "word low" : "word", text);
        word.dataset.start = start;
        word.dataset.end = end;
        word.dataset.leg = turn.leg;
        word.dataset.index = index;
        word.title = `${clock(start)} · 置信度 ${Math.round(confidence * 100)}%`;
        line.append(word);
        words.push({ start, end, el: word });
        previous = text;
      }
      block.append(head, line);
      transcript.append(block);
    }
    words.sort((a, b) => a.start - b.start);
    highlight();
  }

  transcript.addEventListener("click", (event) => {
    const target = event.target.closest(".word, .turn-at");
    if (target && grant) playFrom(Number(target.dataset.start));
  });

  // The word being said at the player's position: the latest one started that is not over yet
  // (or only just over: the pause before the next word keeps it lit).
  function spokenAt(seconds) {
    const t = seconds + 0.01;
    let low = 0;
    let high = words.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (words[middle].start <= t) { found = middle; low = middle + 1; } else { high = middle - 1; }
    }
    for (let i = found; i >= 0 && i > found - 8; i -= 1) if (t < words[i].end) return words[i].el;
    return found >= 0 && t < words[found].end + HOLD_SECONDS ? words[found].el : null;
  }

  function reveal(word) {
    // Scroll the transcript (not the page) when the word leaves its visible part.
    const top = word.offsetTop;
    if (top < transcript.scrollTop || top + word.offsetHeight > transcript.scrollTop + transcript.clientHeight) {
      transcript.scrollTo({ top: Math.max(0, top - transcript.clientHeight / 3), behavior: "smooth" });
    }
  }

  function highlight() {
    const next = words.length ? spokenAt(player.currentTime) : null;
    if (next === current) return;
    if (current) current.classList.remove("current");
    current = next;
    if (current) {
      current.classList.add("current");
      if (!player.paused) reveal(current);
    }
  }

  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);

  // --- search ---------------------------------------------------------------------------------

  $("search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = $("search-query").value.trim();
    if (!q) return;
    const hits = await get(`/api/v1/transcripts/search?q=${encodeURIComponent(q)}`);
    if (!hits) return;
    $("search-box").hidden = false;
    $("search-summary").textContent = hits.length
      ? `“${q}”：找到 ${hits.length} 通电话（检索已记入审计日志）`
      : `“${q}”：没有找到包含该词语的通话。`;
    const list = $("search-results");
    list.replaceChildren();
    for (const hit of hits) {
      const li = element("li");
      li.dataset.recordingId = hit.recording_id;
      li.dataset.at = hit.at_seconds;
      const lawyer = reviews.find((r) => r.lawyer && r.lawyer === hit.lawyer && r.lawyer_name);
      const facts = [localTime(hit.started_at), lawyer ? lawyer.lawyer_name : hit.lawyer || "—", topicOf(hit),
        `${LEGS[hit.leg] || hit.leg} ${clock(hit.at_seconds)}`].join(" · ");
      const snippet = element("span", "snippet");
      const at = hit.snippet.indexOf(q);
      if (at >= 0) {
        snippet.append(hit.snippet.slice(0, at), element("mark", null, q), hit.snippet.slice(at + q.length));
      } else {
        snippet.textContent = hit.snippet;
      }
      li.append(element("span", "hint", `${facts}：`), snippet);
      const mine = reviews.find((r) => r.recording_id === hit.recording_id);
      if (mine) {
        const open = element("button", "small", "打开评查");
        open.type = "button";
        open.dataset.reviewId = mine.id;
        open.addEventListener("click", () => openReview(mine.id, hit.at_seconds));
        li.append(open);
      } else {
        li.append(element("span", "hint not-mine", "（不在评查任务中）"));
      }
      list.append(li);
    }
  });

  // --- the supervisor's tools ---------------------------------------------------------------

  function sampleSummary(done) {
    const counts = Object.values(done.calls_per_lawyer || {});
    if (!done.assigned) return done.message;
    let text = `${done.day}：${counts.length} 位律师共 ${counts.reduce((a, b) => a + b, 0)} 通录音通话，`
      + `新分配 ${done.assigned.length} 条评查任务`;
    if (done.skipped) text += `，${done.skipped} 通已在评查中`;
    if ((done.unassigned || []).length) text += `；${done.unassigned.length} 通抽中的通话没有可指派的评查员（评查员不能评查自己的通话）`;
    return `${text}。`;
  }

  if (canManage) {
    const yesterday = new Date(Date.now() - 86_400_000);
    const pad = (n) => String(n).padStart(2, "0");
    $("sample-day").value = `${yesterday.getFullYear()}-${pad(yesterday.getMonth() + 1)}-${pad(yesterday.getDate())}`;
    $("run-sample").addEventListener("click", async () => {
      const day = $("sample-day").value;
      if (!day) { Hotline.say("请选择抽样日期。", false); return; }
      const done = await Hotline.post("/api/v1/quality/sample", { day });
      if (!done) return;
      Hotline.say(sampleSummary(done), true);
      loadReviews();
    });
    $("filter-reviewer").addEventListener("change", loadReviews);
  }
  $("filter-state").addEventListener("change", loadReviews);

  loadReviews();
})();
