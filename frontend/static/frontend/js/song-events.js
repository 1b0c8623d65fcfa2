// Play / like / skip on a list of songs without reloading the page.
//
// Progressive enhancement of server-rendered forms (the catalogue's recommendations
// page): a container with data-event-api="<listening-events API URL>" holding, per song,
//   <li data-song-id="7"> … <a class="listen" href="…">…</a>
//     <form class="event-form" method="post" action="…"> <input name="song"> <input name="mood">
//       <button name="kind" value="play|like|skip|finish">…</button> </form> </li>
// Without JavaScript the forms post and the page reloads; with it, the event is sent to
// the API, the button says what happened, and a skipped song fades. "Play" on a song with
// a Spotify player (<div class="player" data-embed-url>) opens the player in the page and
// records "play" when the player reports that playback started; on a song without one it
// opens the YouTube search (the fallback) and records the play. Failures are said next to
// the buttons.

import { apiFetch } from "./http.js";
import { openPlayer } from "./spotify-player.js";

const DONE = { like: "Liked", skip: "Skipped" };

function statusFor(item) {
  let status = item.querySelector(".event-status");
  if (!status) {
    status = document.createElement("span");
    status.className = "event-status status-line";
    status.setAttribute("role", "status");
    (item.querySelector(".song-actions") || item).append(status);
  }
  return status;
}

async function send(root, form, button) {
  const item = form.closest("[data-song-id]") || form;
  const kind = button.value;
  const player = item.querySelector(".player[data-embed-url]");
  if (kind === "play" && player) {
    const title = (item.querySelector(".song-title") || {}).textContent || "song";
    openPlayer(player, { embedUrl: player.dataset.embedUrl, title }, () => record(root, form, button, "play"));
    statusFor(item).textContent = "Player open: press play in it";
    return;
  }
  if (kind === "play") {
    const listen = item.querySelector("a.listen");
    if (listen) window.open(listen.href, "_blank", "noopener");
  }
  await record(root, form, button, kind);
}

async function record(root, form, button, kind) {
  const item = form.closest("[data-song-id]") || form;
  const data = new FormData(form);
  button.disabled = true;
  const status = statusFor(item);
  try {
    const event = await apiFetch(root.dataset.eventApi, {
      json: { song: Number(data.get("song")), kind, mood: data.get("mood") || "" },
    });
    item.dataset.lastEvent = kind;
    status.textContent = "";
    if (DONE[kind]) {
      button.textContent = DONE[kind];
      button.setAttribute("aria-pressed", "true");
      if (kind === "skip") {
        item.classList.add("skipped");
        offerUndo(root, item, button, event.id);
      }
      return; // stays disabled: done once
    }
    if (kind === "play") item.dataset.played = "true";
    status.textContent = kind === "play" ? (item.querySelector(".player") ? "Playing" : "Playing in a new tab") : "Saved";
  } catch (error) {
    status.textContent = `Not saved: ${error.message}`;
  }
  button.disabled = false;
}

/** An "Undo" next to a skip: forgets the skip event, so the song ranks as before. */
function offerUndo(root, item, button, eventId) {
  const undo = document.createElement("button");
  undo.type = "button";
  undo.className = "small secondary undo";
  undo.textContent = "Undo";
  undo.setAttribute("aria-label", "Undo skip");
  undo.addEventListener("click", async () => {
    undo.disabled = true;
    try {
      await apiFetch(`${root.dataset.eventApi}${eventId}/`, { method: "DELETE" });
      item.classList.remove("skipped");
      delete item.dataset.lastEvent;
      button.textContent = "Skip";
      button.setAttribute("aria-pressed", "false");
      button.disabled = false;
      undo.remove();
      statusFor(item).textContent = "Skip undone";
    } catch (error) {
      undo.disabled = false;
      statusFor(item).textContent = `Not undone: ${error.message}`;
    }
  });
  button.after(undo);
}

/** Enhance every [data-event-api] container on the page. */
export function enhanceSongEvents() {
  for (const root of document.querySelectorAll("[data-event-api]")) {
    root.addEventListener("submit", (event) => {
      const form = event.target.closest("form.event-form");
      const button = event.submitter;
      if (!form || !button || !button.value) return; // not ours: let it post
      event.preventDefault();
      send(root, form, button);
    });
  }
}

enhanceSongEvents();
