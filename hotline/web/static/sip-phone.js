// A SIP phone inside the page: JsSIP over Asterisk's WebSocket (wss), DTLS-SRTP media, G.711 audio
// and VP8/H.264 video. Used by the desk's browser phone (desk-phone.js) and the citizens' video
// consultation page (video.js). No STUN or TURN server: Asterisk and the browsers reach each other
// directly (the hotline's own network).
import JsSIP from "./vendor/jssip/jssip.esm.min.js";

const PC_CONFIG = { iceServers: [] };
const REGISTER_SECONDS = 120;

// The call's streams to the page's media elements: remote audio (and video), local video.
function attachMedia(session, media) {
  const show = (connection) => {
    connection.addEventListener("track", (event) => {
      const stream = event.streams[0] || new MediaStream([event.track]);
      if (event.track.kind === "video" && media.remoteVideo) media.remoteVideo.srcObject = stream;
      if (event.track.kind === "audio" && media.audio) media.audio.srcObject = stream;
    });
  };
  if (session.connection) show(session.connection);
  else session.on("peerconnection", ({ peerconnection }) => show(peerconnection));
  session.on("confirmed", () => {
    if (!media.localVideo || !session.connection) return;
    const tracks = session.connection.getSenders().map((s) => s.track).filter((t) => t && t.kind === "video");
    if (tracks.length) media.localVideo.srcObject = new MediaStream(tracks);
  });
}

export function offersVideo(request) {
  return /^m=video [1-9]/m.test((request && request.body) || "");
}

// ``credential``: { websocket_url, sip_uri, username, ha1, realm } (the controller issues it), or
// { websocket_url, sip_uri } and register false for a caller who only calls.
// ``on``: state(name, cause), incoming(session, hasVideo), ended(cause).
export function sipPhone(credential, media, on, { register = true, displayName } = {}) {
  const socket = new JsSIP.WebSocketInterface(credential.websocket_url);
  const config = {
    sockets: [socket],
    uri: credential.sip_uri,
    register,
    register_expires: REGISTER_SECONDS,
    session_timers: false,
    user_agent: "hotline-browser-phone",
    connection_recovery_min_interval: 2,
    connection_recovery_max_interval: 30,
  };
  if (credential.ha1) {
    config.authorization_user = credential.username;
    config.realm = credential.realm;
    config.ha1 = credential.ha1;
  }
  if (displayName) config.display_name = displayName;
  const ua = new JsSIP.UA(config);
  let current = null;

  const follow = (session) => {
    current = session;
    attachMedia(session, media);
    const end = (cause) => {
      if (current === session) current = null;
      on.ended && on.ended(cause);
    };
    session.on("ended", (e) => end(e.cause));
    session.on("failed", (e) => end(e.cause));
    session.on("confirmed", () => on.state && on.state("talking"));
  };

  ua.on("connecting", () => on.state && on.state("connecting"));
  ua.on("disconnected", () => on.state && on.state("disconnected"));
  ua.on("connected", () => !register && on.state && on.state("connected"));
  ua.on("registered", () => on.state && on.state("registered"));
  ua.on("unregistered", () => on.state && on.state("unregistered"));
  ua.on("registrationFailed", (e) => on.state && on.state("failed", e.cause));
  ua.on("newRTCSession", ({ session, originator, request }) => {
    if (originator !== "remote") return;
    if (current) {
      session.terminate({ status_code: 486 });  // busy: one call at a time
      return;
    }
    follow(session);
    on.incoming && on.incoming(session, offersVideo(request));
  });
  ua.start();

  return {
    ua,
    get session() { return current; },
    answer(video) {
      if (!current) return;
      current.answer({ mediaConstraints: { audio: true, video: !!video }, pcConfig: PC_CONFIG });
    },
    call(target, video, extraHeaders = []) {
      const session = ua.call(target, {
        mediaConstraints: { audio: true, video: !!video },
        pcConfig: PC_CONFIG,
        extraHeaders,
      });
      follow(session);
      return session;
    },
    hangup() { if (current) current.terminate(); },
    mute(on) { if (current) (on ? current.mute({ audio: true }) : current.unmute({ audio: true })); },
    hold(on) { if (current) (on ? current.hold() : current.unhold()); },
    dtmf(key) { if (current) current.sendDTMF(key, { transportType: "RFC2833" }); },
    renew(next) { ua.set("realm", next.realm); ua.set("ha1", next.ha1); },
    stop() { ua.stop(); },
  };
}

// What flows in the call now (getStats): audio and video packets and frames, each way.
export async function mediaStats(session) {
  const figures = { audioReceived: 0, audioSent: 0, framesDecoded: 0, framesEncoded: 0 };
  if (!session || !session.connection) return figures;
  const report = await session.connection.getStats();
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") figures.audioReceived += s.packetsReceived || 0;
    if (s.type === "outbound-rtp" && s.kind === "audio") figures.audioSent += s.packetsSent || 0;
    if (s.type === "inbound-rtp" && s.kind === "video") figures.framesDecoded += s.framesDecoded || 0;
    if (s.type === "outbound-rtp" && s.kind === "video") figures.framesEncoded += s.framesEncoded || 0;
  });
  return figures;
}
