// The review page's player: listening needs a reason (it goes to the recording's audit log) and
// gives a grant; the recording then plays, from a position when asked (a search hit), with its
// transcript beside it.
import { byId, say } from "./page.js";
import { post } from "./http.js";
import { clock } from "./format.js";

export function playFrom(audio, seconds) {
  audio.currentTime = seconds;
  audio.play().catch(() => { /* the reviewer presses play */ });
}

// ``current()``: the open review; ``transcript``: review-transcript.js's, loaded with each grant.
export function reviewPlayer(current, transcript) {
  const audio = byId("player");
  let grant = null;        // the open review's listening grant (POST .../access)
  let pendingSeek = null;  // seconds to seek to once the audio is loaded (a search hit)

  function stop() {
    grant = null;
    audio.pause();
    audio.removeAttribute("src");
    audio.load();
    audio.hidden = true;
    transcript.clear();
    byId("start-listening").textContent = "开始复听";
  }

  // Play the open review's recording from ``seconds`` (undefined: nothing to play): at once if it
  // is loaded, else once the reviewer has given a reason to listen.
  function seek(seconds) {
    pendingSeek = seconds === undefined ? null : seconds;
    if (pendingSeek === null) return;
    if (grant && grant.recording_id === current().recording_id && audio.readyState >= 1) {
      playFrom(audio, pendingSeek);
      pendingSeek = null;
    } else {
      say(`请确认复听原因后点击“开始复听”，录音将从 ${clock(pendingSeek)} 处播放。`, true);
      byId("listen").scrollIntoView({ block: "center", behavior: "smooth" });
      byId("listen-reason").focus();
    }
  }

  byId("start-listening").addEventListener("click", async () => {
    const review = current();
    if (!review) return;
    const reason = byId("listen-reason").value.trim();
    if (reason.length < 2) {
      say("请填写复听原因（至少 2 个字），复听会连同原因记入审计日志。", false);
      byId("listen-reason").focus();
      return;
    }
    const granted = await post(`/api/v1/recordings/${review.recording_id}/access`, { purpose: "play", reason });
    if (!granted || current()?.id !== review.id) return;
    stop();
    grant = granted;
    audio.src = granted.urls.mix;
    audio.hidden = false;
    byId("start-listening").textContent = "重新开始复听";
    byId("message").hidden = true;
    transcript.load(granted.transcript_url);
  });

  audio.addEventListener("loadedmetadata", () => {
    if (pendingSeek !== null) {
      playFrom(audio, pendingSeek);
      pendingSeek = null;
    }
  });
  audio.addEventListener("error", () => {
    if (grant) say("录音无法播放（访问授权可能已过期），请重新点击“开始复听”。", false);
  });

  return { stop, seek };
}
