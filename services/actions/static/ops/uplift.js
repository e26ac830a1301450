// Draws one uplift comparison set (an ActionUplift of GET /v1/reports/uplift): a forest
// plot for the shares (percentage points) and one for health (points), each difference
// with its single-look interval (thin) and its always-valid interval (thick), and the
// verdicts in plain words. Used by the ops page's summary and by /reports/uplift.

import { forestPlot, svgEl } from "./charts.js";

const VERDICTS = {
  not_enough_data: "not enough data yet",
  no_effect_shown: "no effect shown",
  effect_shown: "effect shown",
};

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function renderUplift(container, uplift, { compact = false } = {}) {
  container.replaceChildren();
  const head = make("p", "uplift-groups", `${uplift.treated} treated and ${uplift.holdout} held-out customers`);
  container.appendChild(head);
  const shares = uplift.comparisons.filter((c) => c.kind === "proportion");
  const means = uplift.comparisons.filter((c) => c.kind === "mean");
  for (const [rows, scale, unit, title] of [
    [shares, (v) => v * 100, " pts", "Treated minus held out, percentage points"],
    [means, (v) => v, "", "Treated minus held out, health points"],
  ]) {
    if (!rows.some((c) => c.difference !== null)) continue;
    const figure = make("figure", "forest");
    figure.appendChild(make("figcaption", "", title));
    const svg = svgEl("svg", { role: "img", "aria-label": title });
    forestPlot(svg, rows.map((c) => ({ ...c, label: c.metric.replace("_", " ") })), { scale, unit });
    figure.appendChild(svg);
    container.appendChild(figure);
  }
  const list = make("ul", "verdicts");
  for (const c of uplift.comparisons) {
    const item = make("li", `verdict ${c.verdict}`);
    item.dataset.metric = c.metric;
    item.dataset.verdict = c.verdict;
    item.appendChild(make("strong", "", `${c.title}: ${VERDICTS[c.verdict]}. `));
    if (!compact || c.verdict !== "not_enough_data") item.append(c.summary);
    list.appendChild(item);
  }
  container.appendChild(list);
}
