// Live progress of composition jobs on any page.
//
// Listens on /ws/notifications/ (ReconnectingSocket: back-off, jitter) and, while that
// socket is down, polls each in-flight job's REST status URL, so the final state always
// arrives (channel-layer messages may be dropped; the database is the truth).
//
// Markup contract (docs/frontend.md):
//   <div data-composition-id="42" data-status="queued" data-stage="queued"
//        data-status-url="/api/v1/compositions/42/status/">
//     <progress max="5" value="1"></progress> <span data-stage-label>Queued</span>
//   </div>
// Each update sets data-status / data-stage, the <progress> value (1..5), the label
// text, and dispatches a bubbling "composition:update" DOM event (detail = the event).
// data-reload-when-ready on the element reloads the page when its job finishes.
//
// A lost server is said in words (an alert at the top of <main>, [data-server-notice]):
// while the socket is down, each poll also tells whether the server answers at all (a
// network error or a gateway's 502/503/504 = lost); the notice goes away when a poll is
// answered or the socket is open again.

import { ApiError, apiFetch } from "./http.js";
import { ReconnectingSocket } from "./socket.js";

export const STAGES = ["queued", "generating", "rendering", "saving", "ready"];
export const STAGE_LABELS = {
  queued: "Queued: waiting for a worker…",
  generating: "Generating the music…",
  rendering: "Rendering the audio…",
  saving: "Saving the files…",
  ready: "Ready",
  failed: "Failed",
};
const IN_FLIGHT = new Set(["queued", "running"]);
const POLL_MS = 3000;
const LOST_STATUSES = new Set([0, 502, 503, 504]); // 0: no answer at all (ApiError "network")
export const SERVER_LOST_TEXT =
  "Lost contact with the server: it may be restarting, or your connection dropped. " +
  "This page keeps trying and updates by itself when the server is back; nothing you made is lost.";

function serverNotice() {
  let notice = document.querySelector("[data-server-notice]");
  if (!notice) {
    notice = document.createElement("p");
    notice.className = "alert";
    notice.setAttribute("role", "alert");
    notice.dataset.serverNotice = "";
    notice.hidden = true;
    (document.querySelector("main") || document.body).prepend(notice);
  }
  return notice;
}

/** Show or hide the "lost contact with the server" alert. */
export function showServerLost(lost) {
  const notice = serverNotice();
  if (lost) notice.textContent = SERVER_LOST_TEXT;
  notice.hidden = !lost;
  document.body.dataset.server = lost ? "lost" : "ok";
}

function isLost(error) {
  return error instanceof ApiError ? LOST_STATUSES.has(error.status) : true;
}

/** Does the server answer at all? (Any HTTP answer from /healthz counts: 503 is "warming".) */
async function serverAnswers() {
  try {
    const response = await fetch("/healthz", { cache: "no-store", credentials: "same-origin" });
    return response.status !== 502 && response.status !== 504;
  } catch (error) {
    return false;
  }
}

function elementsFor(id) {
  return document.querySelectorAll(`[data-composition-id="${CSS.escape(String(id))}"]`);
}

/** Apply one progress event ({id, status, stage, error, …}) to every element showing that job. */
export function applyCompositionEvent(event) {
  elementsFor(event.id).forEach((element) => {
    const wasInFlight = IN_FLIGHT.has(element.dataset.status);
    element.dataset.status = event.status;
    if (event.stage) element.dataset.stage = event.stage;
    const failed = event.status === "failed";
    const label = element.querySelector("[data-stage-label]");
    if (label) {
      label.textContent = failed
        ? `Failed: ${event.error || "the job could not finish."}`
        : STAGE_LABELS[event.stage] || event.stage;
    }
    const bar = element.querySelector("progress");
    if (bar) {
      const step = STAGES.indexOf(event.status === "ready" ? "ready" : event.stage);
      bar.max = STAGES.length;
      bar.value = failed ? STAGES.length : Math.max(step, 0) + 1;
      bar.setAttribute("aria-valuetext", label ? label.textContent : event.stage);
    }
    element.dispatchEvent(new CustomEvent("composition:update", { bubbles: true, detail: event }));
    const finished = event.status === "ready" || failed;
    if (wasInFlight && finished && element.hasAttribute("data-reload-when-ready")) window.location.reload();
  });
}

function inFlightElements() {
  return Array.from(document.querySelectorAll("[data-composition-id]")).filter((el) =>
    IN_FLIGHT.has(el.dataset.status),
  );
}

/**
 * Start following composition progress on this page. Idempotent; returns the watcher
 * (an EventTarget: "composition" events with the raw event as detail, "status" from the socket).
 */
export function watchCompositions() {
  if (window.__echoesCompositionWatcher) return window.__echoesCompositionWatcher;
  const watcher = new EventTarget();
  const socket = new ReconnectingSocket("/ws/notifications/", { protocols: ["echoes.v1"] });
  let pollTimer = null;

  const handle = (event) => {
    applyCompositionEvent(event);
    watcher.dispatchEvent(new CustomEvent("composition", { detail: event }));
  };

  async function poll() {
    let lost = null; // null: no job asked, so ask /healthz below
    for (const element of inFlightElements()) {
      const url = element.dataset.statusUrl;
      if (!url) continue;
      try {
        handle({ id: Number(element.dataset.compositionId), ...(await apiFetch(url)) });
        lost = false;
      } catch (error) {
        // Still down, or gone (404): try again on the next tick.
        lost = lost === false ? false : isLost(error);
      }
    }
    if (lost === null) lost = !(await serverAnswers());
    if (!socket.isOpen) showServerLost(lost);
  }
  function startPolling() {
    if (!pollTimer) pollTimer = setInterval(poll, POLL_MS);
  }
  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  socket.addEventListener("open", () => {
    stopPolling();
    showServerLost(false);
    poll(); // catch up on anything that happened while we were away
  });
  socket.addEventListener("close", startPolling);
  socket.addEventListener("status", (e) => watcher.dispatchEvent(new CustomEvent("status", { detail: e.detail })));
  socket.addEventListener("message", (e) => {
    const data = e.detail.data;
    if (!data || typeof data !== "object") return;
    if (data.type === "composition.progress") handle(data);
    else if (data.type === "composition.snapshot") (data.compositions || []).forEach(handle);
  });
  socket.connect();
  watcher.socket = socket;
  watcher.poll = poll;
  window.__echoesCompositionWatcher = watcher;
  return watcher;
}

// Loaded as <script type="module" src=".../notifications.js" data-auto> on a page with
// composition elements: start at once.
if (document.querySelector("script[data-auto][src*='notifications.js']") && document.querySelector("[data-composition-id]")) {
  watchCompositions();
}
