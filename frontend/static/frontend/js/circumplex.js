// A small picture of Russell's circumplex: valence left→right, arousal bottom→top,
// the mood labels at their prototypes, a dot for the current mood and a faint trail.
//
//   const picture = new Circumplex(svgElement, prototypes);  // {label: [valence, arousal]}
//   picture.update({label, valence, arousal});

const NS = "http://www.w3.org/2000/svg";
const SIZE = 220;
const PAD = 18;
const TRAIL = 24;

function el(name, attrs = {}, text = "") {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text) node.textContent = text;
  return node;
}

/** Plane coordinates (-1..1) → SVG coordinates. */
export function toSvg(valence, arousal) {
  const half = (SIZE - 2 * PAD) / 2;
  return [PAD + half * (1 + valence), PAD + half * (1 - arousal)];
}

export class Circumplex {
  constructor(svg, prototypes = {}) {
    this.svg = svg;
    this.trail = [];
    svg.setAttribute("viewBox", `0 0 ${SIZE} ${SIZE}`);
    svg.replaceChildren();
    const [cx, cy] = toSvg(0, 0);
    svg.append(
      el("circle", { cx, cy, r: (SIZE - 2 * PAD) / 2, class: "cx-ring" }),
      el("line", { x1: PAD, y1: cy, x2: SIZE - PAD, y2: cy, class: "cx-axis" }),
      el("line", { x1: cx, y1: PAD, x2: cx, y2: SIZE - PAD, class: "cx-axis" }),
      el("text", { x: SIZE - PAD, y: cy - 4, class: "cx-axis-label", "text-anchor": "end" }, "pleasant"),
      el("text", { x: PAD, y: cy - 4, class: "cx-axis-label" }, "unpleasant"),
      el("text", { x: cx + 4, y: PAD + 8, class: "cx-axis-label" }, "energetic"),
      el("text", { x: cx + 4, y: SIZE - PAD - 2, class: "cx-axis-label" }, "sleepy"),
    );
    // Trail and dot first, labels after: the labels stay readable on top of the dot.
    this.trailPath = el("polyline", { class: "cx-trail", points: "" });
    this.dot = el("circle", { cx, cy, r: 7, class: "cx-dot", visibility: "hidden" });
    svg.append(this.trailPath, this.dot);
    this.labels = {};
    for (const [label, [v, a]] of Object.entries(prototypes)) {
      const [x, y] = toSvg(v, a);
      const text = el("text", { x, y, class: "cx-mood", "text-anchor": "middle", "data-mood": label }, label);
      this.labels[label] = text;
      svg.append(text);
    }
  }

  update(mood) {
    if (!mood) return;
    const [x, y] = toSvg(mood.valence, mood.arousal);
    this.dot.setAttribute("cx", x.toFixed(1));
    this.dot.setAttribute("cy", y.toFixed(1));
    this.dot.setAttribute("visibility", "visible");
    this.trail.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    if (this.trail.length > TRAIL) this.trail.shift();
    this.trailPath.setAttribute("points", this.trail.join(" "));
    for (const [label, text] of Object.entries(this.labels)) text.classList.toggle("active", label === mood.label);
    this.svg.setAttribute(
      "aria-label",
      `Mood ${mood.label}: valence ${mood.valence.toFixed(2)}, arousal ${mood.arousal.toFixed(2)}`,
    );
  }
}
