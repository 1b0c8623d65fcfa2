// The live soundtrack's player: "music_bar" note events -> FluidSynth (WebAssembly, in an
// AudioWorklet) with our server's General MIDI SoundFont, and optionally a Web MIDI output.
//
// Timing: every bar carries its start on the soundtrack's clock and the server's clock
// when it was sent ("sent_at"). The first bar fixes the mapping to the AudioContext clock
// (arrival time + JITTER_SECONDS); every note then goes to FluidSynth's own sequencer at
// its exact tick, so playing does not depend on this page's timers. A bar that arrives
// after its start is a gap: counted (document.body.dataset.musicGaps) and reported.
//
// Channels: every note names its MIDI channel (one per part of the bar's arrangement,
// drums on 9 = General MIDI's channel 10) and bar.parts gives each channel's program, sent
// as a program change when it changes. A note tied over the bar line is held per channel
// AND pitch, so two parts (or two notes of a chord) never cut each other.
//
// Files (all from our server; see frontend/static/frontend/vendor/js-synthesizer/README.md):
// config.synth_url (main thread), config.worklet_urls (the worklet), config.soundfont_url.

const JITTER_SECONDS = 0.15; // allowance for the network between the server and the page
const LEVEL_EVERY_MS = 250;
const LOAD_TIMEOUT_MS = 90000; // a busy machine compiles the WebAssembly slowly
const CHANNELS = 16;
const heldKey = (channel, pitch) => channel * 128 + pitch;

// A failure inside the AudioWorklet (e.g. WebAssembly refused) never settles its promise.
function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer`)), LOAD_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function loadScript(url) {
  if (window.JSSynth) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.append(script);
  });
}

export class SoundtrackPlayer extends EventTarget {
  constructor(config) {
    super();
    this.config = config;
    this.context = null;
    this.synth = null;
    this.sequencer = null;
    this.gain = null;
    this.analyser = null;
    this.base = null; // audio time of soundtrack time 0
    this.tickAtZero = 0; // sequencer tick at audio time 0
    this.programs = new Map(); // channel -> the program last sent on it
    this.held = new Map(); // heldKey(channel, pitch) -> [channel, pitch] tied over the last bar line
    this.midiOut = null;
    this.stats = { bars: 0, gaps: 0, minLeadMs: Infinity, peak: 0, loadMs: null };
    this.levelTimer = null;
  }

  /** Load the synthesiser and the SoundFont (once); resolves when it can play. */
  async load() {
    if (this.synth) return;
    const started = performance.now();
    await loadScript(this.config.synth_url);
    const context = new AudioContext({ latencyHint: "playback" });
    // Running before the worklet is asked anything: a suspended context may not answer.
    await context.resume();
    for (const url of this.config.worklet_urls) await context.audioWorklet.addModule(url);
    const synth = new window.JSSynth.AudioWorkletNodeSynthesizer();
    synth.init(context.sampleRate);
    const node = synth.createAudioNode(context);
    this.gain = context.createGain();
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 2048;
    node.connect(this.gain).connect(this.analyser).connect(context.destination);
    const response = await fetch(this.config.soundfont_url);
    if (!response.ok) throw new Error(`the SoundFont could not be loaded (HTTP ${response.status})`);
    await withTimeout(synth.loadSFont(await response.arrayBuffer()), "the synthesiser");
    const sequencer = await withTimeout(synth.createSequencer(), "the synthesiser's sequencer");
    await sequencer.registerSynthesizer(synth);
    // The sequencer counts milliseconds of rendered audio, as the AudioContext's clock does.
    const tick = await withTimeout(sequencer.getTick(), "the synthesiser's sequencer");
    this.tickAtZero = tick - context.currentTime * 1000;
    Object.assign(this, { context, synth, sequencer });
    this.stats.loadMs = Math.round(performance.now() - started);
    this.levelTimer = setInterval(() => this._measureLevel(), LEVEL_EVERY_MS);
  }

  async resume() {
    if (this.context && this.context.state !== "running") await this.context.resume();
  }

  setVolume(fraction) {
    if (this.gain) this.gain.gain.setTargetAtTime(fraction, this.context.currentTime, 0.05);
    if (this.midiOut) for (let ch = 0; ch < CHANNELS; ch += 1) this.midiOut.send([0xb0 | ch, 7, Math.round(fraction * 127)]);
  }

  setMidiOutput(output) {
    this._midiAllOff();
    this.midiOut = output || null;
    this.programs.clear(); // a new output has not had the programs: send them with the next bar
  }

  /** A new soundtrack: forget the old clock mapping and what was held. */
  reset() {
    this.stop();
    this.base = null;
    this.programs.clear();
    this.held.clear();
  }

  stop() {
    if (this.sequencer) this.sequencer.removeAllEvents();
    if (this.synth) for (let ch = 0; ch < CHANNELS; ch += 1) this.synth.midiAllNotesOff(ch);
    this._midiAllOff();
    this.held.clear();
  }

  /** Queue one music_bar message; returns how long before its start it was queued (ms). */
  play(bar) {
    const now = this.context.currentTime;
    if (this.base === null) this.base = now + JITTER_SECONDS - bar.sent_at;
    const start = this.base + bar.start;
    const leadMs = (start - now) * 1000;
    this.stats.bars += 1;
    this.stats.minLeadMs = Math.min(this.stats.minLeadMs, leadMs);
    if (leadMs < 0) this.stats.gaps += 1; // it came after its start: the listener heard a gap
    const at = Math.max(start, now + 0.01);
    const continued = new Set(bar.notes.filter((n) => n[5] & 2).map((n) => heldKey(n[2], n[3])));
    for (const [key, [channel, pitch]] of this.held) {
      if (!continued.has(key)) this._off(channel, pitch, at); // the tie was not taken up
    }
    const held = new Map();
    for (const { channel, program } of bar.parts) {
      // On the drum channel the program picks the kit (0: standard), in FluidSynth as in GM.
      if (program !== this.programs.get(channel)) {
        this._send({ type: "programchange", channel, preset: program }, at, [0xc0 | channel, program]);
        this.programs.set(channel, program);
      }
    }
    for (const [offset, duration, channel, pitch, velocity, flags] of bar.notes) {
      const noteStart = at + offset;
      const key = heldKey(channel, pitch);
      const tiedIn = flags & 2 && this.held.has(key);
      if (!tiedIn) this._send({ type: "noteon", channel, key: pitch, vel: velocity }, noteStart, [0x90 | channel, pitch, velocity]);
      if (flags & 1) held.set(key, [channel, pitch]);
      // ends a hair early, so a re-attack of the same pitch on the next step sounds
      else this._off(channel, pitch, noteStart + Math.max(0.01, duration - 0.004));
    }
    this.held = held;
    this.dispatchEvent(new CustomEvent("bar", { detail: { bar, leadMs } }));
    return leadMs;
  }

  _off(channel, pitch, time) {
    this._send({ type: "noteoff", channel, key: pitch }, time, [0x80 | channel, pitch, 0]);
  }

  _send(event, audioTime, midiBytes) {
    this.sequencer.sendEventAt(event, Math.round(this.tickAtZero + audioTime * 1000), true);
    if (this.midiOut) {
      // Web MIDI timestamps are on performance.now()'s clock.
      const { contextTime, performanceTime } = this.context.getOutputTimestamp();
      this.midiOut.send(midiBytes, performanceTime + (audioTime - contextTime) * 1000);
    }
  }

  _midiAllOff() {
    if (this.midiOut) for (let ch = 0; ch < CHANNELS; ch += 1) this.midiOut.send([0xb0 | ch, 123, 0]);
  }

  _measureLevel() {
    const samples = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const value of samples) sum += value * value;
    const rms = Math.sqrt(sum / samples.length);
    this.stats.peak = Math.max(this.stats.peak, rms);
    this.dispatchEvent(new CustomEvent("level", { detail: { rms } }));
  }
}

/** The MIDI outputs the browser offers ([] without Web MIDI or permission). */
export async function midiOutputs() {
  if (!navigator.requestMIDIAccess) return [];
  try {
    const access = await navigator.requestMIDIAccess();
    return [...access.outputs.values()];
  } catch (error) {
    return [];
  }
}
