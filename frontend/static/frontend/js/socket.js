// A WebSocket that comes back: reconnects with exponential back-off and jitter, and
// tells the page what it is doing through "status" events so the page can say so.
//
//   const socket = new ReconnectingSocket("/ws/session/", { protocols: ["echoes.v1"] });
//   socket.addEventListener("message", (e) => ...e.detail.data...);
//   socket.addEventListener("status", (e) => ...e.detail.state, e.detail.delay...);
//   socket.connect();

/** ws:// or wss:// URL for a path on this site. */
export function wsUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + window.location.host + path;
}

// Close codes after which trying again cannot help (the user must log in again).
export const FINAL_CLOSE_CODES = new Set([4401, 4403]);

export class ReconnectingSocket extends EventTarget {
  /**
   * @param {string} path  path on this site (or a full ws:// URL)
   * @param {object} options protocols, binaryType, minDelay (ms), maxDelay (ms), factor
   */
  constructor(path, options = {}) {
    super();
    this.url = path.startsWith("ws") ? path : wsUrl(path);
    this.protocols = options.protocols || [];
    this.binaryType = options.binaryType || "arraybuffer";
    this.minDelay = options.minDelay ?? 500;
    this.maxDelay = options.maxDelay ?? 15000;
    this.factor = options.factor ?? 2;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.wanted = false;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes queued in the browser and not yet sent (for back-pressure). */
  get bufferedAmount() {
    return this.ws ? this.ws.bufferedAmount : 0;
  }

  connect() {
    this.wanted = true;
    clearTimeout(this.timer);
    this._open();
  }

  /** Close for good (no reconnect). */
  close(code = 1000, reason = "") {
    this.wanted = false;
    clearTimeout(this.timer);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(code, reason);
    this._status("closed");
  }

  /** Send if open; returns false (and sends nothing) otherwise. */
  send(data) {
    if (!this.isOpen) return false;
    this.ws.send(data);
    return true;
  }

  sendJson(message) {
    return this.send(JSON.stringify(message));
  }

  _status(state, extra = {}) {
    this.dispatchEvent(new CustomEvent("status", { detail: { state, attempt: this.attempt, ...extra } }));
  }

  _open() {
    this._status(this.attempt ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url, this.protocols);
    } catch (error) {
      this._schedule(1006);
      return;
    }
    ws.binaryType = this.binaryType;
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      const reconnected = this.attempt > 0;
      this.attempt = 0;
      this._status("open", { reconnected });
      this.dispatchEvent(new CustomEvent("open", { detail: { reconnected } }));
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      let data = event.data;
      if (typeof data === "string") {
        try {
          data = JSON.parse(data);
        } catch (error) {
          return; // not ours to understand
        }
      }
      this.dispatchEvent(new CustomEvent("message", { detail: { data } }));
    };
    // Errors are always followed by close; handling close alone keeps one code path.
    ws.onerror = () => {};
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.dispatchEvent(new CustomEvent("close", { detail: { code: event.code, reason: event.reason } }));
      if (!this.wanted) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        this.wanted = false;
        this._status("refused", { code: event.code });
        return;
      }
      this._schedule(event.code);
    };
  }

  _schedule(code) {
    this.attempt += 1;
    const base = Math.min(this.maxDelay, this.minDelay * Math.pow(this.factor, this.attempt - 1));
    // Full jitter on the upper half: many pages reconnecting after a server restart
    // must not all hit it in the same millisecond.
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this._status("waiting", { code, delay, retryAt: Date.now() + delay });
    this.timer = setTimeout(() => {
      if (this.wanted) this._open();
    }, delay);
  }

  /** Skip the wait and try now (a "Reconnect now" button). */
  retryNow() {
    if (!this.wanted || this.isOpen) return;
    clearTimeout(this.timer);
    this._open();
  }
}
