// The relationship-health gauge, its reasons and its 90-day trend, drawn as inline SVG.

import { h, svg } from "./dom.js";

const BANDS = {
  at_risk: "At risk",
  strained: "Strained",
  steady: "Steady",
  strong: "Strong",
};

export function healthPanel(health) {
  if (!health) return h("section", { class: "panel health", "aria-labelledby": "health-title" },
    h("h3", { id: "health-title", text: "Relationship health" }),
    h("p", { class: "muted", text: "Not known yet." }));
  const score = Math.round(health.score);
  const band = BANDS[health.band] || health.band;
  const change = Math.round(health.change_30d);
  const trendWords = change === 0 ? "no change in 30 days" : `${change > 0 ? "up" : "down"} ${Math.abs(change)} in 30 days`;
  return h("section", { class: "panel health", "aria-labelledby": "health-title" },
    h("h3", { id: "health-title", text: "Relationship health" }),
    h("div", { class: "gauge-row" },
      gauge(score, health.band, `${score} of 100, ${band}`),
      h("div", { class: "gauge-words" },
        h("p", { class: `band band-${health.band}`, text: band }),
        h("p", { class: "muted", text: trendWords }))),
    h("h4", { text: "Why" }),
    h("ul", { class: "reasons" }, health.reasons.map((reason) =>
      h("li", { class: reason.impact < 0 ? "minus" : "plus" },
        h("span", { class: "impact", text: `${reason.impact > 0 ? "+" : "−"}${Math.abs(reason.impact).toFixed(1)}` }),
        h("span", { text: reason.text })))),
    h("h4", { text: "Last 90 days" }),
    trend(health.trend, score),
    h("p", { class: "trend-axis muted", "aria-hidden": "true" }, h("span", { text: "90 days ago" }), h("span", { text: "today" })));
}

function gauge(score, bandCode, label) {
  // A half circle: the arc's length is the score.
  const radius = 40;
  const length = Math.PI * radius;
  const filled = (Math.max(0, Math.min(100, score)) / 100) * length;
  return svg("svg", { viewBox: "0 0 100 58", class: "gauge", role: "img", "aria-label": `Health ${label}` },
    svg("path", { d: "M10 50 A40 40 0 0 1 90 50", class: "gauge-track" }),
    svg("path", { d: "M10 50 A40 40 0 0 1 90 50", class: `gauge-fill band-${bandCode}`, "stroke-dasharray": `${filled} ${length}` }),
    text(50, 48, String(score), "gauge-score"));
}

function text(x, y, value, cls) {
  const node = svg("text", { x, y, "text-anchor": "middle", class: cls });
  node.textContent = value;
  return node;
}

function trend(points, now) {
  // Placed by date over the 90 days up to the newest point, so gaps between moments show.
  const series = points.length ? points : [{ day: new Date().toISOString().slice(0, 10), score: now }];
  const width = 240;
  const height = 60;
  const end = Date.parse(series[series.length - 1].day);
  const start = end - 90 * 86_400_000;
  const x = (day) => 4 + ((Math.max(start, Date.parse(day)) - start) / (end - start)) * (width - 8);
  const y = (score) => height - 4 - (score / 100) * (height - 8);
  const line = series.map((p) => `${x(p.day).toFixed(1)},${y(p.score).toFixed(1)}`).join(" ");
  const scores = series.map((p) => p.score);
  const first = Math.round(scores[0]);
  const last = Math.round(scores[scores.length - 1]);
  const low = Math.round(Math.min(...scores));
  const label = `Health over the last 90 days: from ${first} to ${last}, lowest ${low}, over ${series.length} days with moments`;
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "trend", role: "img", "aria-label": label },
    svg("line", { x1: 0, x2: width, y1: y(60), y2: y(60), class: "trend-mark" }),
    svg("line", { x1: 0, x2: width, y1: y(40), y2: y(40), class: "trend-mark" }),
    series.length > 1 ? svg("polyline", { points: line, class: "trend-line" }) : null,
    ...series.map((p) => svg("circle", { cx: x(p.day).toFixed(1), cy: y(p.score).toFixed(1), r: 2.5, class: "trend-dot" })));
}
