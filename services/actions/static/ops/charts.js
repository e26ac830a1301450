// SVG charts for the ops and uplift pages, drawn by hand: no library, nothing fetched.
// Each function clears the <svg> it is given and draws one chart into it; the chart's
// latest figures are left in data- attributes, so a test can read what is drawn.

const NS = "http://www.w3.org/2000/svg";
export const PALETTE = [
  "#2a6df4", "#1f8a4c", "#b3261e", "#d17b00", "#7a4cc2", "#0f8b8d",
  "#c2185b", "#5b6475", "#8d6e00", "#3949ab", "#00897b", "#6d4c41",
];

export function svgEl(name, attrs = {}, parent = null, text = null) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

// A round upper bound for an axis: 1, 2 or 5 times a power of ten.
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

export function format(value, unit = "") {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const abs = Math.abs(value);
  const text = abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
  return unit === "/s" ? `${text}/s` : unit ? `${text} ${unit}` : text;
}

function latest(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}

// Lines over time: chart = {times: [...], lines: {name: [value or null, ...]}, unit}.
// `legend` is an element that gets one entry per line with its latest value.
export function lineChart(svg, chart, legend, { width = 520, height = 190, target = null } = {}) {
  clear(svg);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const m = { left: 46, right: 10, top: 10, bottom: 22 };
  const w = width - m.left - m.right, h = height - m.top - m.bottom;
  const names = Object.keys(chart.lines).filter((n) => chart.lines[n].some((v) => v !== null));
  const values = names.flatMap((n) => chart.lines[n].filter((v) => v !== null));
  const top = niceMax(Math.max(...values, target ?? 0, 0));
  const times = chart.times;
  const t0 = times[0], t1 = times[times.length - 1];
  const x = (t) => m.left + ((t - t0) / Math.max(1e-9, t1 - t0)) * w;
  const y = (v) => m.top + h - (v / top) * h;
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    svgEl("line", { x1: m.left, x2: m.left + w, y1: y(v), y2: y(v), class: "grid" }, svg);
    svgEl("text", { x: m.left - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, svg, format(v));
  }
  for (const [label, at] of [["-5 min", t0], ["now", t1]]) {
    svgEl("text", { x: x(at), y: height - 6, class: "tick", "text-anchor": at === t0 ? "start" : "end" }, svg, label);
  }
  if (target !== null) {
    svgEl("line", { x1: m.left, x2: m.left + w, y1: y(target), y2: y(target), class: "target" }, svg);
    svgEl("text", { x: m.left + w, y: y(target) - 4, class: "tick target-label", "text-anchor": "end" }, svg, `target ${format(target, chart.unit)}`);
  }
  if (legend) clear(legend);
  let sum = 0, points = 0;
  names.forEach((name, index) => {
    const color = PALETTE[index % PALETTE.length];
    let d = "", pen = "M";
    chart.lines[name].forEach((v, i) => {
      if (v === null) { pen = "M"; return; }
      d += `${pen}${x(times[i]).toFixed(1)},${y(v).toFixed(1)} `;
      pen = "L";
      points += 1;
    });
    svgEl("path", { d, fill: "none", stroke: color, "stroke-width": 2, class: "series", "data-name": name }, svg);
    const last = latest(chart.lines[name]);
    sum += last ?? 0;
    if (legend) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = color;
      item.append(swatch, `${name} ${format(last, chart.unit)}`);
      legend.appendChild(item);
    }
  });
  if (!names.length) {
    svgEl("text", { x: m.left + w / 2, y: m.top + h / 2, class: "empty", "text-anchor": "middle" }, svg, "no data yet");
  }
  svg.dataset.latest = String(sum);
  svg.dataset.points = String(points);
}

// Horizontal bars, one row per item, one bar per key: rows = [{label, values: {key: v}}].
export function barChart(svg, rows, keys, { width = 520, unit = "", max = null, stacked = false } = {}) {
  clear(svg);
  const rowH = stacked ? 20 : 8 + 9 * keys.length, labelW = 190;
  const height = Math.max(40, 24 + rows.length * (rowH + 8));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const w = width - labelW - 60;
  const totals = rows.map((r) => stacked ? keys.reduce((s, k) => s + (r.values[k] ?? 0), 0) : Math.max(...keys.map((k) => r.values[k] ?? 0)));
  const top = max ?? niceMax(Math.max(...totals, 0));
  keys.forEach((key, i) => {
    svgEl("rect", { x: labelW + i * 110, y: 4, width: 10, height: 10, fill: PALETTE[i] }, svg);
    svgEl("text", { x: labelW + 14 + i * 110, y: 13, class: "tick" }, svg, key);
  });
  rows.forEach((row, r) => {
    const y0 = 24 + r * (rowH + 8);
    svgEl("text", { x: labelW - 6, y: y0 + rowH / 2 + 4, class: "label", "text-anchor": "end" }, svg, row.label);
    let offset = 0;
    keys.forEach((key, k) => {
      const v = row.values[key] ?? 0;
      const len = (Math.max(0, v) / top) * w;
      const bar = stacked
        ? { x: labelW + offset, y: y0, width: len, height: rowH }
        : { x: labelW, y: y0 + k * 9, width: len, height: 8 };
      svgEl("rect", { ...bar, fill: PALETTE[k], class: "bar", "data-key": key, "data-value": v }, svg);
      offset += len;
    });
    const shown = stacked ? totals[r] : totals[r];
    svgEl("text", { x: labelW + (stacked ? offset : (totals[r] / top) * w) + 4, y: y0 + rowH / 2 + 4, class: "tick" }, svg, row.note ?? format(shown, unit));
  });
  if (!rows.length) svgEl("text", { x: width / 2, y: 28, class: "empty", "text-anchor": "middle" }, svg, "no data yet");
  svg.dataset.rows = String(rows.length);
}

// Vertical bars: one per bucket, bars = [{label, value, color}].
export function columnChart(svg, bars, { width = 520, height = 170 } = {}) {
  clear(svg);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const m = { left: 46, right: 10, top: 10, bottom: 22 };
  const w = width - m.left - m.right, h = height - m.top - m.bottom;
  const top = niceMax(Math.max(...bars.map((b) => b.value), 0));
  const slot = w / Math.max(1, bars.length);
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4, y = m.top + h - (v / top) * h;
    svgEl("line", { x1: m.left, x2: m.left + w, y1: y, y2: y, class: "grid" }, svg);
    svgEl("text", { x: m.left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, svg, format(v));
  }
  bars.forEach((bar, i) => {
    const bh = (bar.value / top) * h;
    svgEl("rect", { x: m.left + i * slot + 2, y: m.top + h - bh, width: slot - 4, height: bh, fill: bar.color, class: "bar", "data-value": bar.value }, svg);
    svgEl("text", { x: m.left + i * slot + slot / 2, y: height - 6, class: "tick", "text-anchor": "middle" }, svg, bar.label);
  });
  svg.dataset.total = String(bars.reduce((s, b) => s + b.value, 0));
}

// Differences with two intervals around 0: rows = [{label, difference, interval, always_valid}].
export function forestPlot(svg, rows, { width = 520, scale = (v) => v, unit = "" } = {}) {
  clear(svg);
  const rowH = 30, labelW = 200, height = 30 + rows.length * rowH;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const bounds = rows.flatMap((r) => [r.always_valid?.low, r.always_valid?.high, r.interval?.low, r.interval?.high]).filter((v) => v !== undefined && v !== null).map((v) => Math.abs(scale(v)));
  const reach = niceMax(Math.max(...bounds, 0.01));
  const w = width - labelW - 16;
  const x = (v) => labelW + ((scale(v) + reach) / (2 * reach)) * w;
  svgEl("line", { x1: x(0), x2: x(0), y1: 14, y2: height - 4, class: "zero" }, svg);
  svgEl("text", { x: labelW, y: 10, class: "tick" }, svg, `-${format(reach)}${unit}`);
  svgEl("text", { x: labelW + w, y: 10, class: "tick", "text-anchor": "end" }, svg, `+${format(reach)}${unit}`);
  rows.forEach((row, i) => {
    const y = 30 + i * rowH;
    svgEl("text", { x: labelW - 8, y: y + 4, class: "label", "text-anchor": "end" }, svg, row.label);
    if (row.always_valid) {
      svgEl("line", { x1: x(row.always_valid.low), x2: x(row.always_valid.high), y1: y, y2: y, class: "always-valid" }, svg);
    }
    if (row.interval) {
      svgEl("line", { x1: x(row.interval.low), x2: x(row.interval.high), y1: y, y2: y, class: "single-look" }, svg);
    }
    if (row.difference !== null && row.difference !== undefined) {
      svgEl("circle", { cx: x(row.difference), cy: y, r: 4.5, class: `point ${row.verdict}` }, svg);
    }
  });
}
