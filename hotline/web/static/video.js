// The citizens' video consultation page (视频咨询): start a consultation (number and topic), call
// from the browser with camera and microphone into the hotline's queue, follow it (position,
// the lawyer answering), rate by the buttons when the lawyer hangs up (keypad digits in the
// call, as a phone caller rates), hang up.
import { byId } from "./page.js";
import { errorText, request } from "./http.js";
import { mediaStats, sipPhone } from "./sip-phone.js";

const FOLLOW_MS = 2000;
const STATES = {
  connecting: "正在接通视频咨询…",
  ready: "正在接通视频咨询…",
  waiting: "正在为您安排律师，请稍候",
  talking: "律师已接通，请开始咨询",
  rating: "律师已结束通话，请为本次服务评分",
  rated: "感谢您的评价！",
  ended: "本次视频咨询已结束，感谢您的使用。",
  failed: "视频通话未能接通",
};

let phone = null;
let consultation = null;
let followTimer = null;
let rated = false;

function showError(text) {
  const box = byId("video-error");
  box.textContent = text;
  box.hidden = !text;
}

function show(state, extra) {
  const box = byId("video-state");
  box.dataset.state = state;
  box.textContent = extra ? `${STATES[state]}（${extra}）` : STATES[state];
  byId("video-rating").hidden = state !== "rating";
  byId("video-hangup").hidden = state === "ended" || state === "failed";
}

async function follow() {
  if (!consultation) return;
  const url = `/video/consultations/${encodeURIComponent(consultation.id)}`;
  const answer = await request("GET", url, undefined, { "X-Consultation-Token": consultation.token });
  if (!answer.ok) return;  // a network blip: the next poll tries again
  const now = answer.data;
  if (now.state === "waiting") show("waiting", now.position ? `排队第 ${now.position} 位` : "");
  else if (now.state === "rating") show(rated || now.rating ? "rated" : "rating");
  else if (now.state === "ended") {
    show(now.rating ? "rated" : "ended");
    byId("video-state").textContent = `${STATES.ended}${now.rating ? `您的评分：${now.rating} 分。` : ""}`;
    clearInterval(followTimer);
  } else if (now.state === "talking") show("talking");
}

function ended(cause) {
  // The call is over on this side; the poll says how it ended (rated or not).
  if (phone) phone.stop();
  phone = null;
  if (cause && cause !== "Terminated" && cause !== "BYE" && consultation && !followTimer) show("failed", cause);
  setTimeout(follow, 500);
}

async function start(event) {
  event.preventDefault();
  showError("");
  const form = byId("video-form");
  const started = await request("POST", "/video/consultations", {
    number: byId("video-number").value,
    topic: byId("video-topic").value,
    csrf: form.dataset.csrf,
  });
  if (!started.ok) {
    showError(`${errorText(started.data)}`);
    return;
  }
  consultation = started.data;
  form.hidden = true;
  byId("video-call").hidden = false;
  show("connecting");
  const media = { audio: byId("video-audio"), remoteVideo: byId("video-remote"), localVideo: byId("video-local") };
  phone = sipPhone(consultation, media, {
    state: (state, cause) => {
      if (state === "connected" && phone && !phone.session) {
        phone.call(consultation.target, true);
        followTimer = setInterval(follow, FOLLOW_MS);
      }
      if (state === "failed") show("failed", cause);
    },
    ended,
  }, { register: false, displayName: "视频咨询" });
}

byId("video-form").addEventListener("submit", start);
byId("video-hangup").addEventListener("click", () => {
  if (phone) phone.hangup();
});
for (const key of byId("video-rating").querySelectorAll("button[data-key]")) {
  key.addEventListener("click", () => {
    if (!phone) return;
    phone.dtmf(key.dataset.key);
    rated = true;
    show("rated");
  });
}

// For the page's tests: what flows in the call now.
window.hotlineVideoStats = () => mediaStats(phone && phone.session);
