// The review page's transcript: both legs by turns, the word being said highlighted as the
// recording plays, a click on a word (or a turn's time) plays from there.
import { byId, element } from "./page.js";
import { get } from "./http.js";
import { clock } from "./format.js";
import { LEGS } from "./labels.js";
import { playFrom } from "./review-player.js";

const JOB_STATES = { queued: "排队中", running: "转写中", done: "已完成", failed: "失败" };
const LOW_CONFIDENCE = 0.5;
// A word stays highlighted this long after it ends (the pause before the next one).
const HOLD_SECONDS = 0.3;

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

function jobNote(jobs) {
  const parts = jobs.filter((job) => job.state !== "done").map((job) => {
    const state = JOB_STATES[job.state] || job.state;
    const error = job.state === "failed" && job.last_error ? `：${job.last_error}` : "";
    return `${LEGS[job.leg] || job.leg}：${state}${error}`;
  });
  return parts.join("；");
}

// ``current()``: the open review (a transcript read for another one is dropped).
export function reviewTranscript(current) {
  const box = byId("transcript");
  const audio = byId("player");
  let words = [];    // the transcript's words, by start time: {start, end, el}
  let lit = null;    // the highlighted word's span

  function clear() {
    words = [];
    lit = null;
    box.hidden = true;
    box.replaceChildren();
  }

  async function load(url) {
    const id = current().id;
    box.hidden = false;
    box.replaceChildren(element("p", "hint", "正在读取通话转写…"));
    const data = await get(url);
    if (!data || current()?.id !== id) return;
    render(data);
  }

  function render(data) {
    box.replaceChildren();
    words = [];
    lit = null;
    const legWords = Object.fromEntries(data.legs.map((leg) => [leg.leg, leg.words]));
    const pending = jobNote(data.jobs || []);
    if (!data.turns.length) {
      const text = pending ? `暂无转写（${pending}）` : "暂无转写：录音尚未排入转写队列。";
      const note = element("p", "hint transcript-status", text);
      if ((data.jobs || []).some((job) => job.state === "failed")) note.className = "error transcript-status";
      box.append(note);
      return;
    }
    if (pending) box.append(element("p", "hint transcript-status", `部分转写未完成（${pending}）`));
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
      box.append(block);
    }
    words.sort((a, b) => a.start - b.start);
    highlight();
  }

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
    if (top < box.scrollTop || top + word.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTo({ top: Math.max(0, top - box.clientHeight / 3), behavior: "smooth" });
    }
  }

  function highlight() {
    const next = words.length ? spokenAt(audio.currentTime) : null;
    if (next === lit) return;
    if (lit) lit.classList.remove("current");
    lit = next;
    if (lit) {
      lit.classList.add("current");
      if (!audio.paused) reveal(lit);
    }
  }

  // The transcript shows only while a grant lets the recording play (clear() goes with the grant).
  box.addEventListener("click", (event) => {
    const target = event.target.closest(".word, .turn-at");
    if (target) playFrom(audio, Number(target.dataset.start));
  });
  audio.addEventListener("timeupdate", highlight);
  audio.addEventListener("seeked", highlight);

  return { clear, load };
}
