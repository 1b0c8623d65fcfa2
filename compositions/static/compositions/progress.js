// Live progress of composition jobs: listens on /ws/notifications/ (reconnecting with
// back-off) and, while the socket is down, polls each job's status URL. Elements marked
// data-composition-id="<id>" get data-status/data-stage and their [data-stage-label] text;
// when a job on a page flagged data-reload-when-ready becomes ready, the page reloads to
// show the player.
(function () {
  "use strict";
  const STAGES = ["queued", "generating", "rendering", "saving", "ready"];
  const LABELS = { queued: "Queued", generating: "Generating the music…", rendering: "Rendering audio…",
                   saving: "Saving…", ready: "Ready", failed: "Failed" };
  let socket = null, retry = 0, pollTimer = null;

  function cards(id) { return document.querySelectorAll('[data-composition-id="' + id + '"]'); }

  function apply(event) {
    cards(event.id).forEach(function (card) {
      const wasInFlight = card.dataset.status === "queued" || card.dataset.status === "running";
      card.dataset.status = event.status;
      card.dataset.stage = event.stage;
      const label = card.querySelector("[data-stage-label]");
      if (label) label.textContent = event.status === "failed" && event.error ? "Failed: " + event.error : (LABELS[event.stage] || event.stage);
      const bar = card.querySelector("progress");
      if (bar) {
        const step = STAGES.indexOf(event.stage);
        bar.value = event.stage === "failed" ? bar.max : Math.max(step, 0) + 1;
      }
      if (wasInFlight && (event.status === "ready" || event.status === "failed") && card.hasAttribute("data-reload-when-ready")) {
        window.location.reload();
      }
    });
  }

  function inFlightIds() {
    return Array.from(document.querySelectorAll("[data-composition-id]"))
      .filter(function (el) { return el.dataset.status === "queued" || el.dataset.status === "running"; })
      .map(function (el) { return el.dataset.compositionId; });
  }

  function poll() {
    inFlightIds().forEach(function (id) {
      const el = cards(id)[0];
      fetch(el.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) apply(data); })
        .catch(function () {});
    });
  }

  function startPolling() { if (!pollTimer) pollTimer = setInterval(poll, 3000); }
  function stopPolling() { if (pollTimer) { clearInterval(pollTimer); pollTimer = null; } }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/notifications/");
    socket.onopen = function () { retry = 0; stopPolling(); poll(); };
    socket.onmessage = function (message) {
      let data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.type === "composition.progress") apply(data);
      if (data.type === "composition.snapshot") data.compositions.forEach(apply);
    };
    socket.onclose = function (event) {
      startPolling();
      if (event.code === 4401) return;  // not signed in: polling is all we can do
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, retry));
    };
  }

  if (document.querySelector("[data-composition-id]")) {
    connect();
    if (inFlightIds().length) startPolling();
  }
})();
