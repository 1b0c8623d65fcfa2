// Spotify's embedded player for a song, and "play started" from what the player reports.
//
// The frame is https://open.spotify.com/embed/track/<id> (the page's CSP allows exactly that
// frame origin). It is made only when the listener asks for it, one per song. Spotify's
// embed posts messages to its parent window; a "playback_update" that is not paused is
// the listening event "play" (once per frame): it records what really happened in the
// page, not a click on a link.

export const SPOTIFY_ORIGIN = "https://open.spotify.com";

const players = new Map(); // frame window -> { started, onStart }

function isPlaying(data) {
  let message = data;
  if (typeof message === "string") {
    try {
      message = JSON.parse(message);
    } catch {
      return false;
    }
  }
  if (!message || message.type !== "playback_update") return false;
  const payload = message.payload || message.data || {};
  return payload.isPaused === false && !payload.isBuffering;
}

window.addEventListener("message", (event) => {
  if (event.origin !== SPOTIFY_ORIGIN) return;
  const player = players.get(event.source);
  if (!player || player.started || !isPlaying(event.data)) return;
  player.started = true;
  player.onStart();
});

/**
 * Put Spotify's player for `embedUrl` into `container` (once) and call `onStart()` when
 * playback really starts. Returns the iframe.
 */
export function openPlayer(container, { embedUrl, title }, onStart) {
  let frame = container.querySelector("iframe.spotify-embed");
  if (frame) return frame;
  frame = document.createElement("iframe");
  frame.className = "spotify-embed";
  frame.src = embedUrl;
  frame.title = `Spotify player: ${title}`;
  frame.width = "100%";
  frame.height = "80";
  frame.loading = "lazy";
  frame.allow = "autoplay; clipboard-write; encrypted-media; fullscreen; picture-in-picture";
  container.hidden = false;
  container.append(frame);
  // contentWindow exists as soon as the frame is in the document.
  players.set(frame.contentWindow, { started: false, onStart });
  return frame;
}
