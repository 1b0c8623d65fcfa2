// The live session page: camera → 320×240 JPEG → /ws/session/ (binary) → results.
//
// Protocol: docs/websocket.md. The server starts a session when the socket opens
// ("ready"), answers each analysed frame with a "result" (seq, emotions, gesture,
// smoothed mood, latency, counters) and closes the session on {"type": "stop"}.
// Flow control here: at most MAX_IN_FLIGHT unanswered frames and nothing sent while the
// socket's buffer is non-empty, so a slow server or network never builds a queue; the
// server itself keeps only the latest frame.

import { apiFetch } from "./http.js";
import { Circumplex } from "./circumplex.js";
import { ReconnectingSocket } from "./socket.js";
import { watchCompositions } from "./notifications.js";
import { openPlayer } from "./spotify-player.js";
import { setupMusic } from "./session-music.js";

const FRAME_WIDTH = 320;
const FRAME_HEIGHT = 240;
const JPEG_QUALITY = 0.75;
const MAX_IN_FLIGHT = 2;
const STALE_FRAME_MS = 3000;
const LATENCY_WINDOW = 20;

const config = JSON.parse(document.getElementById("session-config").textContent);
const $ = (selector) => document.querySelector(selector);

const ui = {
  video: $("#camera-preview"),
  overlay: $("#face-overlay"),
  placeholder: $("#camera-placeholder"),
  start: $("#session-start"),
  stop: $("#session-stop"),
  fps: $("#session-fps"),
  status: $("#session-status"),
  alert: $("#session-alert"),
  retry: $("#session-retry"),
  faceState: $("#face-state"),
  gesture: $("#gesture"),
  gestureHelp: $("#gesture-help"),
  moodLabel: $("#mood-label"),
  moodCaption: $("#mood-caption"),
  moodNote: $("#mood-note"),
  correction: $("#correction"),
  correctionOpen: $("#correction-open"),
  correctionForm: $("#correction-form"),
  correctionStatus: $("#correction-status"),
  moodChoice: $("#mood-choice"),
  moodChoiceStatus: $("#mood-choice-status"),
  valence: $("#mood-valence"),
  arousal: $("#mood-arousal"),
  summary: $("#session-summary"),
  counters: {
    fps: $("#counter-fps"),
    latency: $("#counter-latency"),
    server: $("#counter-server"),
    dropped: $("#counter-dropped"),
    sent: $("#counter-sent"),
  },
  recommend: $("#recommend-button"),
  strategy: $("#recommend-strategy"),
  recommendations: $("#recommendations"),
  recommendStatus: $("#recommend-status"),
  compose: $("#compose-form"),
  composeButton: $("#compose-button"),
  composeStatus: $("#compose-status"),
  compositions: $("#session-compositions"),
};

const circumplex = new Circumplex($("#circumplex"), config.prototypes);
const music = setupMusic({
  config,
  socket: () => state.socket,
  chosenMood: () => (state.moodSource === "chosen" && state.mood ? state.mood.label : null),
});
const grab = document.createElement("canvas");
grab.width = FRAME_WIDTH;
grab.height = FRAME_HEIGHT;
const grabContext = grab.getContext("2d", { alpha: false });

const state = {
  stream: null,
  socket: null,
  running: false, // the user wants frames to flow
  ready: false, // the server said "ready"/"started" on this connection
  sessionId: null,
  sent: 0, // binary messages on this connection (= the server's seq)
  inFlight: new Map(), // seq -> performance.now() at send
  totalSent: 0,
  clientSkipped: 0,
  serverDropped: 0,
  droppedBefore: 0, // server-dropped frames on earlier connections of this visit
  resultTimes: [],
  latencies: [], // round trips of the last LATENCY_WINDOW results (ms)
  firstResult: false,
  firstSentAt: null,
  timer: null,
  mood: null, // the mood "Recommend" and "Compose" use
  // Where state.mood comes from: "camera" (the smoothed reading), "chosen" (picked by
  // hand or "that's not how I feel": results then no longer replace it) or "session"
  // (the dominant mood of the session just stopped).
  moodSource: null,
  shown: null, // the emotions of the last result with a face (what a correction corrects)
  stopping: false,
};

const MOOD_CAPTIONS = {
  camera: "Mood (last few seconds):",
  chosen: "Mood (chosen by you):",
  session: "Mood of your session:",
};
const MOOD_NOTES = {
  camera: "Read from your face and smoothed over the last few seconds, so it does not jump with every frame.",
  chosen: "You told us how you feel: songs and music follow this mood.",
  session: "The mood you held for most of the session you just stopped.",
};

// -- messages to the person ---------------------------------------------------------
function say(text) {
  ui.status.textContent = text;
}

function alertUser(text, { retry = false, login = false } = {}) {
  ui.alert.textContent = text;
  if (login && config.login_url) {
    const link = document.createElement("a");
    link.href = `${config.login_url}?next=${encodeURIComponent(window.location.pathname)}`;
    link.textContent = "Log in";
    ui.alert.append(" ", link);
  }
  ui.alert.hidden = !text;
  ui.retry.hidden = !retry;
}

const CAMERA_ERRORS = {
  NotAllowedError:
    "Camera access was refused. Allow the camera for this site (the camera icon in the address bar or your browser's site settings), then press Start again.",
  SecurityError:
    "Camera access was refused. Allow the camera for this site (the camera icon in the address bar or your browser's site settings), then press Start again.",
  NotFoundError: "No camera was found. Connect a camera, then press Start again.",
  OverconstrainedError: "Your camera cannot deliver video this page can use. Try another camera.",
  NotReadableError: "The camera is busy (another app or tab may be using it). Close it, then press Start again.",
  AbortError: "The camera could not be started. Press Start to try again.",
};

// -- camera -----------------------------------------------------------------------
async function openCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw Object.assign(new Error("no mediaDevices"), { name: "InsecureContext" });
  }
  return navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
    audio: false,
  });
}

function closeCamera() {
  if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
  state.stream = null;
  ui.video.srcObject = null;
  ui.placeholder.hidden = false;
  clearOverlay();
}

// Crop the camera picture to 4:3 (centre) and scale it to 320×240.
function grabFrame() {
  const { videoWidth: w, videoHeight: h } = ui.video;
  if (!w || !h) return null;
  const target = FRAME_WIDTH / FRAME_HEIGHT;
  let sw = w;
  let sh = h;
  if (w / h > target) sw = h * target;
  else sh = w / target;
  grabContext.drawImage(ui.video, (w - sw) / 2, (h - sh) / 2, sw, sh, 0, 0, FRAME_WIDTH, FRAME_HEIGHT);
  return new Promise((resolve) => grab.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
}

// -- the frame loop -----------------------------------------------------------------
function targetFps() {
  return Number(ui.fps.value) || 10;
}

function scheduleNext() {
  clearTimeout(state.timer);
  if (state.running) state.timer = setTimeout(tick, 1000 / targetFps());
}

function pruneInFlight() {
  const now = performance.now();
  for (const [seq, sentAt] of state.inFlight) if (now - sentAt > STALE_FRAME_MS) state.inFlight.delete(seq);
}

async function tick() {
  try {
    const socket = state.socket;
    if (!state.running || !socket || !socket.isOpen || !state.ready) return;
    pruneInFlight();
    if (state.inFlight.size >= MAX_IN_FLIGHT || socket.bufferedAmount > 0) {
      state.clientSkipped += 1; // back-pressure: this frame is never captured nor sent
      return;
    }
    const blob = await grabFrame();
    if (!blob || !state.running || !socket.isOpen || !state.ready) return;
    const bytes = await blob.arrayBuffer();
    if (socket.send(bytes)) {
      if (state.sent === 0) state.firstSentAt = performance.now();
      state.sent += 1;
      state.totalSent += 1;
      state.inFlight.set(state.sent, performance.now());
    }
  } finally {
    renderCounters();
    scheduleNext();
  }
}

// -- results ------------------------------------------------------------------------
function answered(seq) {
  const sentAt = state.inFlight.get(seq);
  // Older unanswered frames were replaced on the server (latest frame wins).
  for (const key of state.inFlight.keys()) if (key <= seq) state.inFlight.delete(key);
  return sentAt;
}

function showEmotions(emotions) {
  for (const row of document.querySelectorAll("[data-emotion]")) {
    const value = emotions ? emotions[row.dataset.emotion] || 0 : 0;
    const percent = Math.round(value * 100);
    row.querySelector(".fill").style.width = `${percent}%`;
    row.querySelector(".value").textContent = emotions ? `${percent}%` : "–";
    const meter = row.querySelector("[role=meter]");
    meter.setAttribute("aria-valuenow", String(percent));
  }
  document.querySelector(".emotion-bars").classList.toggle("no-face", !emotions);
}

function showMood(mood, { source = "camera" } = {}) {
  if (!mood) return;
  if (source === "chosen" && (state.moodSource !== "chosen" || !state.mood || state.mood.label !== mood.label)) {
    music.onChosenMood(mood.label); // music follows a mood chosen by hand
  }
  state.mood = mood;
  state.moodSource = source;
  ui.moodCaption.textContent = MOOD_CAPTIONS[source];
  ui.moodNote.textContent = MOOD_NOTES[source];
  ui.moodLabel.dataset.source = source;
  ui.moodLabel.textContent = mood.label;
  ui.moodLabel.dataset.mood = mood.label;
  ui.valence.textContent = mood.valence.toFixed(2);
  ui.arousal.textContent = mood.arousal.toFixed(2);
  circumplex.update(mood);
  ui.recommend.disabled = false;
  ui.composeButton.disabled = false;
  document.querySelectorAll("[data-mood-name]").forEach((node) => {
    node.textContent = mood.label;
  });
  updatePageLink();
}

function showResult(message) {
  const sentAt = answered(message.seq);
  const now = performance.now();
  if (sentAt !== undefined) {
    state.latencies.push(now - sentAt);
    if (state.latencies.length > LATENCY_WINDOW) state.latencies.shift();
  }
  if (!state.firstResult) {
    state.firstResult = true;
    // From this connection's first frame to its first result (read by tests and bench).
    if (state.firstSentAt !== null) document.body.dataset.firstResultMs = String(Math.round(now - state.firstSentAt));
    say(`Session ${state.sessionId} running: reading your mood…`);
  }
  state.resultTimes.push(now);
  while (state.resultTimes.length && now - state.resultTimes[0] > 2000) state.resultTimes.shift();
  state.serverDropped = state.droppedBefore + (message.dropped || 0);
  ui.counters.server.textContent = `${Math.round(message.latency_ms)} ms`;

  showEmotions(message.emotions);
  if (message.face) {
    ui.faceState.textContent = message.emotion ? `yes (${message.emotion})` : "yes";
    drawFace(message.face.box);
  } else {
    ui.faceState.textContent = "no face in view: face the camera, with light on your face";
    clearOverlay();
  }
  const gesture = message.gesture;
  ui.gesture.textContent = gesture ? gesture.replace(/_/g, " ") : "none";
  ui.gestureHelp.textContent = gesture ? config.gestures[gesture] || "" : "";
  if (state.moodSource !== "chosen") showMood(message.mood, { source: "camera" });
  if (message.emotions) state.shown = message.emotions;
  ui.correction.hidden = !state.shown;
  document.body.dataset.sessionState = "streaming";
}

function drawFace(box) {
  const canvas = ui.overlay;
  const context = canvas.getContext("2d");
  canvas.width = FRAME_WIDTH;
  canvas.height = FRAME_HEIGHT;
  context.clearRect(0, 0, FRAME_WIDTH, FRAME_HEIGHT);
  if (!box) return;
  context.strokeStyle = "#f5b400";
  context.lineWidth = 2;
  context.strokeRect(box[0], box[1], box[2], box[3]);
}

function clearOverlay() {
  const context = ui.overlay.getContext("2d");
  context.clearRect(0, 0, ui.overlay.width, ui.overlay.height);
}

function renderCounters() {
  const seconds = state.resultTimes.length > 1 ? (state.resultTimes.at(-1) - state.resultTimes[0]) / 1000 : 0;
  const fps = seconds > 0 ? (state.resultTimes.length - 1) / seconds : 0;
  ui.counters.fps.textContent = fps.toFixed(1);
  const sorted = [...state.latencies].sort((a, b) => a - b);
  ui.counters.latency.textContent = sorted.length ? `${Math.round(sorted[Math.floor(sorted.length / 2)])} ms` : "–";
  ui.counters.dropped.textContent = String(state.serverDropped);
  ui.counters.sent.textContent = String(state.totalSent);
}

// -- the socket -----------------------------------------------------------------------
function onMessage(event) {
  const message = event.detail.data;
  if (!message || typeof message !== "object") return;
  if (music.onMessage(message)) return;
  switch (message.type) {
    case "ready":
    case "started":
      state.ready = true;
      state.sessionId = message.session_id;
      state.firstResult = false;
      say(`Session ${message.session_id} started: waiting for the first analysed frame…`);
      alertUser("");
      if (message.type === "ready") music.onConnected();
      if (state.running) scheduleNext();
      break;
    case "result":
      showResult(message);
      music.onResult(message);
      break;
    case "stopped":
      finishStop(message.session);
      break;
    case "error":
      if (message.code === "unauthenticated") {
        alertUser("You are logged out. Log in again to start a session.", { login: true });
      } else if (message.seq !== undefined) {
        answered(message.seq);
        say(`A frame was not analysed: ${message.message}`);
      } else {
        say(message.message);
      }
      break;
    default:
      break;
  }
}

function onSocketStatus(event) {
  const { state: socketState, delay, code } = event.detail;
  if (socketState === "waiting" && state.running) {
    state.ready = false;
    state.droppedBefore = state.serverDropped;
    state.sent = 0;
    state.inFlight.clear();
    document.body.dataset.sessionState = "reconnecting";
    const seconds = Math.max(1, Math.round(delay / 1000));
    alertUser(
      `The connection to the server was lost${code ? ` (code ${code})` : ""}. Reconnecting in ${seconds} s… your camera stays on.`,
      { retry: true },
    );
    say("Reconnecting…");
  } else if (socketState === "reconnecting" && state.running) {
    say("Reconnecting…");
  } else if (socketState === "open" && event.detail.reconnected && state.running) {
    alertUser("");
    say("Reconnected: starting a new session…");
  } else if (socketState === "refused") {
    stopLocally();
    alertUser("The server refused the session: you are logged out. Log in again, then press Start.", {
      login: true,
    });
    say("Stopped.");
  }
}

function openSocket() {
  const socket = new ReconnectingSocket(config.ws_path, { protocols: ["echoes.v1"], minDelay: 500, maxDelay: 10000 });
  socket.addEventListener("message", onMessage);
  socket.addEventListener("status", onSocketStatus);
  state.socket = socket;
  state.sent = 0;
  state.inFlight.clear();
  socket.connect();
}

// -- start / stop ---------------------------------------------------------------------
async function start() {
  ui.start.disabled = true;
  alertUser("");
  say("Asking for your camera…");
  try {
    state.stream = await openCamera();
  } catch (error) {
    const text =
      error.name === "InsecureContext"
        ? "The camera is only available on a secure page (https:// or localhost)."
        : CAMERA_ERRORS[error.name] || `The camera could not be started (${error.name || "unknown error"}).`;
    alertUser(`${text} Or choose your mood yourself under “Your mood”.`);
    say("Camera off.");
    document.body.dataset.sessionState = "camera-refused";
    ui.start.disabled = false;
    ui.start.focus();
    return;
  }
  ui.video.srcObject = state.stream;
  ui.placeholder.hidden = true;
  try {
    await ui.video.play();
  } catch (error) {
    // Autoplay of a muted preview is allowed; if not, frames still come from the track.
  }
  if (state.socket) state.socket.close(); // a previous session still saying goodbye
  state.socket = null;
  state.running = true;
  state.stopping = false;
  state.resultTimes = [];
  state.latencies = [];
  state.shown = null;
  if (state.moodSource === "chosen") state.moodSource = null; // a new session reads afresh
  resetCorrection();
  ui.stop.disabled = false;
  ui.summary.hidden = true;
  document.body.dataset.sessionState = "connecting";
  say("Connecting to the server…");
  openSocket();
  ui.stop.focus();
}

function stopLocally() {
  state.running = false;
  state.ready = false;
  ui.correction.hidden = true;
  clearTimeout(state.timer);
  closeCamera();
  ui.start.disabled = false;
  ui.stop.disabled = true;
  document.body.dataset.sessionState = "stopped";
}

function stop() {
  const socket = state.socket;
  stopLocally();
  ui.start.focus();
  if (socket && socket.isOpen && state.sessionId !== null) {
    state.stopping = true;
    say("Saving your session…");
    socket.sendJson({ type: "stop" });
    // The answer ("stopped") closes the socket; don't wait forever for it.
    setTimeout(() => finishStop(null), 5000);
  } else {
    if (socket) socket.close();
    state.socket = null;
    say("Stopped.");
  }
}

function finishStop(session) {
  if (!state.stopping) return;
  state.stopping = false;
  if (state.socket) state.socket.close();
  state.socket = null;
  if (!session) {
    say("Stopped.");
    return;
  }
  const frames = session.frames || {};
  const dominant = session.dominant_mood;
  ui.summary.hidden = false;
  const verdict = session.verdict || (dominant ? `mostly ${dominant.label}` : null);
  ui.summary.textContent = verdict
    ? `Session saved: ${verdict} (${frames.analysed || 0} analysed frames).`
    : `Session saved (${frames.analysed || 0} analysed frames; no face was seen, so no mood).`;
  say("Stopped. Your session is saved in your mood history.");
  if (dominant && state.moodSource !== "chosen") showMood(dominant, { source: "session" });
}

// -- how I really feel ----------------------------------------------------------------------
function resetCorrection() {
  ui.correction.hidden = true;
  ui.correctionForm.hidden = true;
  ui.correctionOpen.setAttribute("aria-expanded", "false");
  ui.correctionStatus.textContent = "";
}

function toggleCorrection() {
  const open = ui.correctionForm.hidden;
  ui.correctionForm.hidden = !open;
  ui.correctionOpen.setAttribute("aria-expanded", String(open));
  if (open) {
    ui.correctionStatus.textContent = "";
    ui.correctionForm.querySelector("select").focus();
  }
}

async function saveCorrection(event) {
  event.preventDefault();
  if (!state.shown || state.sessionId === null) return;
  const felt = new FormData(ui.correctionForm).get("felt_mood");
  const button = ui.correctionForm.querySelector("button");
  button.disabled = true;
  try {
    await apiFetch(config.correction_url.replace("/0/", `/${state.sessionId}/`), {
      json: { probabilities: state.shown, felt_mood: felt },
    });
    showMood(moodOf(felt), { source: "chosen" });
    ui.correctionForm.hidden = true;
    ui.correctionOpen.setAttribute("aria-expanded", "false");
    ui.correctionStatus.textContent = `Thanks, saved: you feel ${felt}. Your next sessions will read your face with this in mind.`;
  } catch (error) {
    ui.correctionStatus.textContent = `Could not save that: ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

function moodOf(label) {
  const [valence, arousal] = config.prototypes[label];
  return { label, valence, arousal };
}

async function chooseMood(event) {
  event.preventDefault();
  const label = event.submitter && event.submitter.value;
  if (!label) return;
  const live = state.running && state.sessionId !== null;
  ui.moodChoiceStatus.textContent = "Saving…";
  try {
    const session = live
      ? await apiFetch(config.session_mood_url.replace("/0/", `/${state.sessionId}/`), { json: { mood: label } })
      : await apiFetch(config.choose_url, { json: { mood: label } });
    showMood(session.chosen_mood, { source: "chosen" });
    for (const button of ui.moodChoice.querySelectorAll("button[value]")) {
      button.setAttribute("aria-pressed", String(button.value === label));
    }
    ui.moodChoiceStatus.textContent = `Using ${label}, chosen by you, for songs and music.`;
  } catch (error) {
    ui.moodChoiceStatus.textContent = `Could not save your choice: ${error.message}`;
  }
}

// -- recommendations --------------------------------------------------------------------
function updatePageLink() {
  const link = document.getElementById("recommendations-page-link");
  if (!link || !state.mood) return;
  const params = new URLSearchParams({ mood: state.mood.label, strategy: ui.strategy.value });
  link.href = `${link.dataset.baseHref}?${params}`;
}

function songItem(item) {
  const song = item.song;
  const li = document.createElement("li");
  li.className = "song";
  li.dataset.songId = song.id;
  const title = document.createElement("p");
  title.className = "song-title";
  const strong = document.createElement("strong");
  strong.textContent = song.title;
  title.append(strong, ` · ${song.singers.join(", ")}`);
  const meta = document.createElement("p");
  meta.className = "song-meta";
  meta.textContent = [song.language_name || song.language, song.album, song.year].filter(Boolean).join(" · ");
  const reason = document.createElement("p");
  reason.className = "song-reason";
  reason.textContent = item.reason;
  const actions = document.createElement("div");
  actions.className = "song-actions";
  let play;
  const player = document.createElement("div");
  player.className = "player";
  player.hidden = true;
  if (song.embed_url) {
    // Spotify's player in the page; "play" is recorded when it reports playback started.
    play = document.createElement("button");
    play.type = "button";
    play.className = "small";
    play.textContent = "Play here";
    play.setAttribute("aria-label", `Play ${song.title} here`);
    play.addEventListener("click", () =>
      openPlayer(player, { embedUrl: song.embed_url, title: song.title }, () => listeningEvent(song, "play", li)),
    );
  } else {
    // No Spotify id: a YouTube search is the fallback.
    play = document.createElement("a");
    play.className = "button small";
    play.href = song.listen_url;
    play.target = "_blank";
    play.rel = "noopener";
    play.textContent = "Play";
    play.setAttribute("aria-label", `Play ${song.title} (opens a YouTube search in a new tab)`);
    play.addEventListener("click", () => listeningEvent(song, "play", li));
  }
  const like = document.createElement("button");
  like.type = "button";
  like.className = "small secondary";
  like.textContent = "Like";
  like.setAttribute("aria-pressed", "false");
  like.setAttribute("aria-label", `Like ${song.title}`);
  like.addEventListener("click", async () => {
    if (await listeningEvent(song, "like", li)) {
      like.setAttribute("aria-pressed", "true");
      like.textContent = "Liked";
    }
  });
  const skip = document.createElement("button");
  skip.type = "button";
  skip.className = "small secondary";
  skip.textContent = "Skip";
  skip.setAttribute("aria-label", `Skip ${song.title}`);
  skip.addEventListener("click", async () => {
    if (await listeningEvent(song, "skip", li)) {
      li.classList.add("skipped");
      skip.disabled = true;
      skip.textContent = "Skipped";
    }
  });
  actions.append(play, like, skip);
  li.append(title, meta, reason, player, actions);
  return li;
}

async function listeningEvent(song, kind, item) {
  try {
    await apiFetch(config.listening_events_url, {
      json: { song: song.id, kind, mood: state.mood ? state.mood.label : "" },
    });
    item.dataset.lastEvent = kind;
    return true;
  } catch (error) {
    ui.recommendStatus.textContent = `Could not save that: ${error.message}`;
    return false;
  }
}

async function recommend() {
  if (!state.mood) return;
  ui.recommend.disabled = true;
  ui.recommendStatus.textContent = "Finding songs…";
  try {
    const answer = await apiFetch(config.recommendations_url, {
      query: {
        valence: state.mood.valence.toFixed(3),
        arousal: state.mood.arousal.toFixed(3),
        strategy: ui.strategy.value,
        limit: 10,
      },
    });
    ui.recommendations.replaceChildren(...answer.results.map(songItem));
    const lift = answer.strategy === "lift" && answer.target_mood ? `, lifting towards ${answer.target_mood}` : "";
    ui.recommendStatus.textContent = answer.results.length
      ? `${answer.results.length} songs for ${answer.mood.label}${lift}.`
      : "No songs matched; add languages in your profile or try “Lift my mood”.";
  } catch (error) {
    ui.recommendStatus.textContent = `Could not get recommendations: ${error.message}`;
  } finally {
    ui.recommend.disabled = false;
  }
}

// -- composing ----------------------------------------------------------------------------
function compositionCard(composition) {
  const li = document.createElement("li");
  li.className = "card composition-progress";
  li.dataset.compositionId = composition.id;
  li.dataset.status = composition.status;
  li.dataset.stage = composition.stage;
  li.dataset.statusUrl = config.composition_status_url.replace("/0/", `/${composition.id}/`);
  const title = document.createElement("p");
  const link = document.createElement("a");
  link.href = config.composition_detail_url.replace("/0/", `/${composition.id}/`);
  link.textContent = composition.title;
  title.append(link);
  const bar = document.createElement("progress");
  bar.max = 5;
  bar.value = 1;
  bar.setAttribute("aria-label", `Progress of ${composition.title}`);
  const label = document.createElement("span");
  label.dataset.stageLabel = "";
  label.setAttribute("aria-live", "polite");
  label.textContent = "Queued: waiting for a worker…";
  const player = document.createElement("div");
  player.className = "composition-player";
  li.append(title, bar, label, player);
  return li;
}

function onCompositionUpdate(event) {
  const card = event.target.closest("[data-composition-id]");
  if (!card || event.detail.status !== "ready" || card.dataset.playerShown) return;
  card.dataset.playerShown = "1";
  const id = card.dataset.compositionId;
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.preload = "metadata";
  audio.src = config.composition_audio_url.replace("/0/", `/${id}/`);
  audio.setAttribute("aria-label", `Play ${card.querySelector("a").textContent}`);
  const links = document.createElement("p");
  const open = document.createElement("a");
  open.href = card.querySelector("a").href;
  open.textContent = "Open in your library";
  links.append(open);
  card.querySelector(".composition-player").append(audio, links);
}

async function compose(event) {
  event.preventDefault();
  if (!state.mood) return;
  const form = new FormData(ui.compose);
  ui.composeButton.disabled = true;
  ui.composeStatus.textContent = "Queuing…";
  // "bars:16" asks for bars, "1min" for a listening time (the server picks the bars)
  const length = String(form.get("length") || "30s");
  const request = {
    valence: Number(state.mood.valence.toFixed(4)),
    arousal: Number(state.mood.arousal.toFixed(4)),
    style: form.get("style"),
    ...(length.startsWith("bars:") ? { bars: Number(length.slice(5)) } : { length }),
  };
  if (form.get("arrangement")) request.arrangement = form.get("arrangement");
  try {
    const composition = await apiFetch(config.compositions_url, { json: request });
    ui.compositions.prepend(compositionCard(composition));
    ui.composeStatus.textContent = `Composing “${composition.title}”: progress below.`;
    const watcher = watchCompositions();
    watcher.poll(); // the job may have moved on before the socket was up
  } catch (error) {
    ui.composeStatus.textContent = `Could not compose: ${error.message}`;
  } finally {
    ui.composeButton.disabled = !state.mood;
  }
}

// -- wiring -----------------------------------------------------------------------------
ui.start.addEventListener("click", start);
ui.stop.addEventListener("click", stop);
ui.retry.addEventListener("click", () => state.socket && state.socket.retryNow());
ui.fps.addEventListener("change", () => {
  if (state.socket) state.socket.sendJson({ type: "options", fps: targetFps() });
});
ui.correctionOpen.addEventListener("click", toggleCorrection);
ui.correctionForm.addEventListener("submit", saveCorrection);
ui.moodChoice.addEventListener("submit", chooseMood);
ui.recommend.addEventListener("click", recommend);
ui.strategy.addEventListener("change", updatePageLink);
ui.compose.addEventListener("submit", compose);
ui.compositions.addEventListener("composition:update", onCompositionUpdate);
window.addEventListener("pagehide", () => {
  if (state.socket) state.socket.close();
  closeCamera();
});
document.body.dataset.sessionState = "idle";
showEmotions(null);
renderCounters();
