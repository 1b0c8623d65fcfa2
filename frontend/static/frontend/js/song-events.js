// Play / like / skip on a list of songs without reloading the page.
//
// Progressive enhancement of server-rendered forms (the catalogue's recommendations
// page): a container with data-event-api="<listening-events API URL>" holding, per song,
//   <li data-song-id="7"> … <a class="listen" href="…">…</a>
//     <form class="event-form" method="post" action="…"> <input name="song"> <input name="mood">
//       <button name="kind" value="play|like|skip|finish">…</button> </form> </li>
// Without JavaScript the forms post and the page reloads; with it, the event is sent to
// the API, the button says what happened, "play" also opens the song's link, and a
// skipped song fades. Failures are said next to the buttons.

import { apiFetch } from "./http.js";

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
  const data = new FormData(form);
  if (kind === "play") {
    const listen = item.querySelector("a.listen");
    if (listen) window.open(listen.href, "_blank", "noopener");
  }
  button.disabled = true;
  const status = statusFor(item);
  try {
    await apiFetch(root.dataset.eventApi, {
      json: { song: Number(data.get("song")), kind, mood: data.get("mood") || "" },
    });
    item.dataset.lastEvent = kind;
    status.textContent = "";
    if (DONE[kind]) {
      button.textContent = DONE[kind];
      button.setAttribute("aria-pressed", "true");
      if (kind === "skip") item.classList.add("skipped");
      return; // stays disabled: done once
    }
    status.textContent = kind === "play" ? "Playing in a new tab" : "Saved";
  } catch (error) {
    status.textContent = `Not saved: ${error.message}`;
  }
  button.disabled = false;
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
