// The mood-history timeline: valence and arousal over time as two lines on an SVG,
// one dot per point coloured by its mood (with a tooltip). Data: the "history-data"
// JSON the page embeds ({points: [{at, mood, valence, arousal, frames}], start, end}).

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 260;
const M = { left: 44, right: 12, top: 12, bottom: 30 };

function el(name, attrs = {}, text = "") {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text) node.textContent = text;
  return node;
}

function formatTime(date, spanMs) {
  const options =
    spanMs > 2 * 86400e3
      ? { month: "short", day: "numeric" }
      : spanMs > 3600e3 * 6
        ? { weekday: "short", hour: "2-digit", minute: "2-digit" }
        : { hour: "2-digit", minute: "2-digit", second: spanMs < 600e3 ? "2-digit" : undefined };
  return date.toLocaleString(undefined, options);
}

export function drawTimeline(svg, data) {
  const points = data.points.map((p) => ({ ...p, time: new Date(p.at).getTime() }));
  if (!points.length) return;
  let t0 = Math.min(...points.map((p) => p.time));
  let t1 = Math.max(...points.map((p) => p.time));
  const pad = Math.max((t1 - t0) * 0.05, 60e3);
  t0 -= pad;
  t1 += pad;
  const x = (t) => M.left + ((t - t0) / (t1 - t0)) * (WIDTH - M.left - M.right);
  const y = (v) => M.top + ((1 - v) / 2) * (HEIGHT - M.top - M.bottom);

  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.replaceChildren();
  for (const v of [-1, -0.5, 0, 0.5, 1]) {
    svg.append(
      el("line", { x1: M.left, x2: WIDTH - M.right, y1: y(v), y2: y(v), class: v === 0 ? "axis zero" : "grid" }),
      el("text", { x: M.left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, v.toFixed(1)),
    );
  }
  const ticks = 4;
  for (let i = 0; i <= ticks; i += 1) {
    const t = t0 + ((t1 - t0) * i) / ticks;
    svg.append(
      el("text", { x: x(t), y: HEIGHT - 8, "text-anchor": "middle", class: "tick" }, formatTime(new Date(t), t1 - t0)),
    );
  }
  for (const key of ["valence", "arousal"]) {
    const line = points.map((p) => `${x(p.time).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
    svg.append(el("polyline", { points: line, class: `series ${key}` }));
  }
  for (const p of points) {
    const dot = el("circle", { cx: x(p.time), cy: y(p.valence), r: 6, class: "dot", "data-mood": p.mood });
    dot.append(
      el(
        "title",
        {},
        `${new Date(p.time).toLocaleString()}: ${p.mood} (valence ${p.valence.toFixed(2)}, arousal ${p.arousal.toFixed(2)}, ${p.frames} frames)`,
      ),
    );
    svg.append(dot, el("circle", { cx: x(p.time), cy: y(p.arousal), r: 3, class: "dot-arousal" }));
  }
  svg.dataset.points = String(points.length);
}

const source = document.getElementById("history-data");
const svg = document.getElementById("mood-timeline");
if (source && svg) drawTimeline(svg, JSON.parse(source.textContent));
