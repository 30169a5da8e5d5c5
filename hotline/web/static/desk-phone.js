// The desk's browser phone (浏览器话机): the lawyer chooses it instead of a SIP softphone; it
// registers with a short-lived credential the controller issues to this signed-in desk (renewed
// before it runs out), rings with the screen pop, answers (with video for a video consultation),
// mutes, holds, sends keys and hangs up. Three-way calls and transfers stay the desk's buttons.
import { byId, say } from "./page.js";
import { get, post, put } from "./http.js";
import { mediaStats, sipPhone } from "./sip-phone.js";

const STATES = {
  off: "未启用",
  connecting: "正在连接…",
  disconnected: "连接中断，正在重连…",
  registered: "已注册，可接听来电",
  unregistered: "未注册",
  failed: "注册失败",
  ringing: "来电振铃中",
  talking: "通话中",
};

let phone = null;
let renewTimer = null;
let ringing = null;  // the ring tone's oscillator
let muted = false;
let held = false;
let incomingVideo = false;
let lastRecovery = 0;
const RECOVER_EVERY_MS = 30_000;

function show(state, cause) {
  const box = byId("phone-state");
  box.dataset.state = state;
  box.textContent = cause ? `${STATES[state]}（${cause}）` : STATES[state];
  const inCall = state === "ringing" || state === "talking";
  byId("phone-controls").hidden = !inCall;
  byId("phone-answer").hidden = state !== "ringing";
  for (const id of ["phone-mute", "phone-hold", "phone-keypad"]) byId(id).hidden = state !== "talking";
  byId("phone-videos").hidden = !(inCall && incomingVideo);
}

function ring(on) {
  if (on && !ringing && window.AudioContext) {
    const context = new AudioContext();
    const tone = context.createOscillator();
    const gain = context.createGain();
    tone.frequency.value = 440;
    gain.gain.value = 0.05;
    tone.connect(gain).connect(context.destination);
    tone.start();
    ringing = { context, tone };
  } else if (!on && ringing) {
    ringing.tone.stop();
    ringing.context.close();
    ringing = null;
  }
}

async function credential() {
  return post("/api/v1/desk/phone/credential", {}, "无法获取浏览器话机的注册凭据");
}

function scheduleRenewal(seconds) {
  clearTimeout(renewTimer);
  renewTimer = setTimeout(async () => {
    const next = await credential();
    if (next && phone) {
      phone.renew(next);
      scheduleRenewal(next.renew_after_seconds);
    }
  }, seconds * 1000);
}

// Refused (the controller locked the credential: it restarted, or another tab took the phone
// over): ask for a fresh one and register again, at most every half minute.
async function recover() {
  if (Date.now() - lastRecovery < RECOVER_EVERY_MS) return;
  lastRecovery = Date.now();
  const next = await credential();
  if (!next || !phone) return;
  phone.renew(next);
  phone.ua.register();
  scheduleRenewal(next.renew_after_seconds);
}

async function start() {
  if (phone) return;
  const first = await credential();
  if (!first) return;
  const media = { audio: byId("phone-audio"), remoteVideo: byId("phone-remote-video"), localVideo: byId("phone-local-video") };
  phone = sipPhone(first, media, {
    state: (state, cause) => {
      if (state === "failed") recover();
      if (state !== "talking") return show(state, cause);
      ring(false);
      show("talking");
    },
    incoming: (_session, video) => {
      incomingVideo = video;
      muted = held = false;
      show("ringing");
      ring(true);
    },
    ended: () => {
      ring(false);
      incomingVideo = false;
      show(phone && phone.ua.isRegistered() ? "registered" : "unregistered");
    },
  });
  scheduleRenewal(first.renew_after_seconds);
}

function stop() {
  clearTimeout(renewTimer);
  ring(false);
  if (phone) phone.stop();
  phone = null;
  show("off");
}

// --- the controls -------------------------------------------------------------------------------

byId("phone-answer").addEventListener("click", () => {
  ring(false);
  if (phone) phone.answer(incomingVideo);
});
byId("phone-hangup").addEventListener("click", () => phone && phone.hangup());
byId("phone-mute").addEventListener("click", () => {
  muted = !muted;
  phone.mute(muted);
  byId("phone-mute").textContent = muted ? "取消静音" : "静音";
});
byId("phone-hold").addEventListener("click", () => {
  held = !held;
  phone.hold(held);
  byId("phone-hold").textContent = held ? "恢复通话" : "保持";
});
for (const key of byId("phone-keypad").querySelectorAll("button[data-key]")) {
  key.addEventListener("click", () => phone && phone.dtmf(key.dataset.key));
}

// --- which phone ------------------------------------------------------------------------------------

function showKind(kind, video) {
  for (const input of document.querySelectorAll('input[name="phone-kind"]')) input.checked = input.value === kind;
  byId("phone-browser").hidden = kind !== "browser";
  byId("phone-video").checked = !!video;
}

byId("phone-video").addEventListener("change", async () => {
  const video = byId("phone-video").checked;
  const saved = await put("/api/v1/desk/phone", { kind: "browser", video }, "无法保存视频咨询设置");
  if (!saved) return;
  showKind(saved.kind, saved.video);
  say(saved.video ? "已接受视频咨询：视频咨询将优先分配给您。" : "已不再优先接受视频咨询。", true);
});

for (const input of document.querySelectorAll('input[name="phone-kind"]')) {
  input.addEventListener("change", async () => {
    const saved = await put("/api/v1/desk/phone", { kind: input.value }, "无法切换话机");
    if (!saved) return;
    showKind(saved.kind, saved.video);
    if (saved.note) say(saved.note, false);
    else say(saved.kind === "browser" ? "已切换到浏览器话机。" : "已切换到 SIP 软电话。", true);
    if (saved.kind === "browser") start();
    else stop();
  });
}

export async function deskPhone() {
  const mine = await get("/api/v1/desk/phone", "无法读取话机设置");
  if (!mine) return;
  byId("phone-kinds").hidden = !mine.browser_available;
  showKind(mine.kind, mine.video);
  show("off");
  if (mine.kind === "browser" && mine.browser_available) start();
}

// For the page's tests and the supervisor's troubleshooting: what flows in the call now.
window.hotlinePhoneStats = () => mediaStats(phone && phone.session);
