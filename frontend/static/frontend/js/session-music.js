// The live session page's "Music" card: start/stop, volume, mode, arrangement, style,
// MIDI out and "Save this soundtrack", over the session's own WebSocket
// (docs/websocket.md, "Live soundtrack"). The bars are played by SoundtrackPlayer.
//
// Music follows the face; when the person chose a mood by hand it follows that mood
// ("mood" in music_start / music_options). Pressed before a face was read, it starts
// with the first result that has a face (the server would answer "no_mood").

import { SoundtrackPlayer, midiOutputs } from "./soundtrack-player.js";

const $ = (selector) => document.querySelector(selector);

export function setupMusic({ config, socket, chosenMood }) {
  const ui = {
    toggle: $("#music-toggle"),
    volume: $("#music-volume"),
    mode: $("#music-mode"),
    arrangement: $("#music-arrangement"),
    style: $("#music-style"),
    midiLabel: $("#music-midi-label"),
    midiOut: $("#music-midi-out"),
    status: $("#music-status"),
    key: $("#music-key"),
    tempo: $("#music-tempo"),
    mood: $("#music-mood"),
    phrase: $("#music-phrase"),
    instruments: $("#music-instruments"),
    gesture: $("#music-gesture"),
    save: $("#music-save"),
    saveStatus: $("#music-save-status"),
  };
  const player = new SoundtrackPlayer(config.music);
  const body = document.body.dataset;
  let wanted = false; // the person pressed "Turn music on"
  let on = false; // the server said music_started on this connection
  let outputs = [];
  body.musicState = "off";

  const say = (text) => {
    ui.status.textContent = text;
  };
  const setState = (name) => {
    body.musicState = name;
    ui.toggle.textContent = wanted ? "Turn music off" : "Turn music on";
    ui.toggle.setAttribute("aria-pressed", String(wanted));
  };
  const send = (message) => {
    const current = socket();
    return Boolean(current && current.isOpen && current.sendJson(message));
  };
  const startMessage = () => {
    const message = { type: "music_start", style: ui.style.value, arrangement: ui.arrangement.value, mode: ui.mode.value };
    const mood = chosenMood();
    if (mood) message.mood = mood;
    return message;
  };

  async function start() {
    wanted = true;
    setState("loading");
    ui.toggle.disabled = true;
    say("Loading the synthesiser and its instruments…");
    try {
      await player.load();
      await player.resume();
      body.musicLoadMs = String(player.stats.loadMs);
    } catch (error) {
      wanted = false;
      setState("error");
      say(`The music player could not start in this browser: ${error.message}`);
      return;
    } finally {
      ui.toggle.disabled = false;
    }
    player.setVolume(Number(ui.volume.value) / 100);
    player.reset();
    if (!outputs.length) await listMidiOutputs();
    if (send(startMessage())) {
      setState("starting");
      say("Starting the music…");
    } else {
      setState("waiting");
      say("Music starts when the session is connected and your face is read.");
    }
  }

  function stop() {
    wanted = false;
    if (on) send({ type: "music_stop" });
    on = false;
    player.stop();
    setState("off");
    say("Music is off.");
  }

  async function listMidiOutputs() {
    outputs = await midiOutputs();
    ui.midiLabel.hidden = !outputs.length;
    ui.midiOut.replaceChildren(new Option("None", ""), ...outputs.map((o) => new Option(o.name, o.id)));
  }

  function showBar(bar, leadMs) {
    ui.key.textContent = bar.key;
    ui.tempo.textContent = `${Math.round(bar.tempo)} bpm`;
    ui.mood.textContent = bar.mood.label === bar.target.label ? bar.mood.label : `${bar.mood.label} → ${bar.target.label}`;
    ui.phrase.textContent = `${bar.section} · bar ${bar.bar_in_phrase + 1}/8${bar.cadence ? " · cadence" : ""}`;
    ui.instruments.textContent = `${bar.arrangement}: ${bar.parts.map((part) => part.name).join(", ")}`;
    body.musicArrangement = bar.arrangement;
    ui.gesture.textContent = bar.gesture
      ? `${bar.gesture.replace(/_/g, " ")}: ${config.music.gestures[bar.gesture] || ""}`
      : "no gesture";
    body.musicBars = String(player.stats.bars);
    body.musicGaps = String(player.stats.gaps);
    body.musicMinLeadMs = String(Math.round(player.stats.minLeadMs));
    body.musicLastLeadMs = String(Math.round(leadMs));
    ui.save.disabled = false;
  }

  player.addEventListener("level", (event) => {
    body.musicPeak = player.stats.peak.toFixed(4);
    body.musicLevel = event.detail.rms.toFixed(4);
  });

  ui.toggle.addEventListener("click", () => (wanted ? stop() : start()));
  ui.volume.addEventListener("input", () => player.setVolume(Number(ui.volume.value) / 100));
  for (const select of [ui.mode, ui.arrangement]) {
    select.addEventListener("change", () => {
      if (on) send({ type: "music_options", mode: ui.mode.value, arrangement: ui.arrangement.value });
    });
  }
  ui.style.addEventListener("change", () => {
    if (on) {
      send({ type: "music_stop" }); // the style is chosen at start: start again with it
      on = false;
      player.reset();
      send(startMessage());
    }
  });
  ui.midiOut.addEventListener("change", () => player.setMidiOutput(outputs.find((o) => o.id === ui.midiOut.value)));
  ui.save.addEventListener("click", () => {
    const mood = ui.mood.textContent.split(" ")[0];
    if (send({ type: "music_save", title: `Soundtrack: ${mood}` })) {
      ui.save.disabled = true;
      ui.saveStatus.textContent = "Saving what played…";
    }
  });

  return {
    /** Messages of the session socket that are about music; true when handled. */
    onMessage(message) {
      switch (message.type) {
        case "music_started":
          on = true;
          setState("on");
          say(`Music on: following ${message.follows === "face" ? "your face" : `the mood you chose (${message.follows})`}${message.mode === "lift" ? ", lifting it" : ""}.`);
          return true;
        case "music_options":
          say(`Music: ${message.mode === "lift" ? "lifting" : "following"} ${message.follows === "face" ? "your face" : message.follows}, ${message.arrangement} arrangement.`);
          return true;
        case "music_bar": {
          if (!wanted) return true;
          const leadMs = player.play(message);
          send({ type: "music_ack", bar: message.bar, lead_ms: Math.round(leadMs) });
          showBar(message, leadMs);
          return true;
        }
        case "music_stopped":
          return true;
        case "music_saved": {
          const link = document.createElement("a");
          link.href = message.composition.url;
          link.textContent = message.composition.title;
          ui.saveStatus.replaceChildren("Saved to your library: ", link, ` (${Math.round(message.composition.duration_seconds)} s).`);
          ui.save.disabled = false;
          return true;
        }
        case "error":
          if (message.code === "no_mood" && wanted) {
            setState("waiting");
            say("Music starts as soon as your face is read (or choose a mood).");
            return true;
          }
          if (["music_stalled", "music_failed", "music_on", "music_off", "nothing_played", "save_failed", "bad_music"].includes(message.code)) {
            if (message.code === "music_stalled" || message.code === "music_failed") {
              on = false;
              player.stop();
              if (wanted) send(startMessage()); // the page is listening: start again
            }
            if (message.code === "nothing_played" || message.code === "save_failed") {
              ui.saveStatus.textContent = message.message;
              ui.save.disabled = false;
            } else say(message.message);
            return true;
          }
          return false;
        default:
          return false;
      }
    },
    /** A result arrived: start the music the person asked for once a face is read. */
    onResult(message) {
      if (wanted && !on && body.musicState === "waiting" && message.face && send(startMessage())) {
        setState("starting");
      }
    },
    /** A new connection: the server has no music on it yet. */
    onConnected() {
      on = false;
      player.reset();
      if (wanted) setState(send(startMessage()) ? "starting" : "waiting");
    },
    /** The person chose a mood by hand (or null: follow the face again). */
    onChosenMood(label) {
      if (on) send({ type: "music_options", mood: label });
    },
  };
}
