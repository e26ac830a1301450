// The operations page: polls GET /v1/ops/dashboard every two seconds with the
// operator's token and redraws every chart, the alerts and the uplift summary.
// The token comes in the URL fragment (#token=..., never sent to a server or logged),
// is kept for this tab only (sessionStorage) and taken out of the address bar.

import { barChart, columnChart, format, lineChart } from "./charts.js";
import { renderUplift } from "./uplift.js";

const POLL_MS = 2000;
const TOKEN_KEY = "moments-operator-token";
const LINE_CHARTS = ["events", "events_by_type", "signals", "decisions", "latency", "hops", "lag", "dead_letters"];
const BAND_COLORS = { at_risk: "#b3261e", strained: "#d17b00", steady: "#2a6df4", strong: "#1f8a4c" };

const $ = (id) => document.getElementById(id);

function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

let token = takeToken();

function setStatus(text, live) {
  $("status").textContent = text;
  $("status").className = live ? "live" : "down";
}

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderAlerts(alerts) {
  const box = $("alerts");
  box.replaceChildren();
  box.dataset.count = String(alerts.length);
  if (!alerts.length) {
    box.appendChild(make("p", "all-clear", "No alerts: every service reports, consumers keep up, latency and dead letters are within bounds."));
    return;
  }
  for (const alert of alerts) {
    const item = make("div", `alert ${alert.severity}`);
    item.dataset.code = alert.code;
    item.dataset.subject = alert.subject;
    item.setAttribute("role", "alert");
    item.append(make("strong", "", alert.title), make("span", "", ` ${alert.detail}`));
    box.appendChild(item);
  }
}

function renderServices(services) {
  const box = $("services");
  box.replaceChildren();
  for (const s of services) {
    const ok = s.processes > 0 && !s.not_ready.length;
    const chip = make("span", `chip ${ok ? "ok" : "bad"}`);
    chip.dataset.service = s.service;
    const seen = s.silent_s === null ? "never heard from" : `last heard ${format(s.silent_s)} s ago`;
    chip.textContent = `${s.service}: ${s.processes} process${s.processes === 1 ? "" : "es"}, ${seen}`;
    box.appendChild(chip);
  }
}

function renderCharts(view) {
  for (const name of LINE_CHARTS) {
    const chart = view.charts[name];
    const panel = document.querySelector(`[data-chart="${name}"]`);
    panel.querySelector("h2").textContent = chart.unit === "ms" || chart.unit === "records" ? `${chart.title} (${chart.unit})` : chart.title;
    const target = name === "latency" ? view.p99_target_ms : null;
    lineChart(panel.querySelector("svg"), chart, panel.querySelector(".legend"), { target });
  }
  barChart($("bars-hops"), view.hop_percentiles.map((row) => ({ label: row.hop, values: row })), ["p50", "p95", "p99"], { unit: "ms" });
  const waiting = view.lag.partitions.filter((p) => p.lag > 0).sort((a, b) => b.lag - a.lag);
  barChart($("bars-lag"), waiting.slice(0, 12).map((p) => ({ label: `${p.group} ${p.topic}[${p.partition}]`, values: { lag: p.lag } })), ["lag"]);
  $("lag-note").textContent = `${view.lag.partitions.length - waiting.length} of ${view.lag.partitions.length} partitions have nothing waiting. ${view.lag.note}`;
  barChart(
    $("bars-actions"),
    view.actions.map((a) => ({
      label: a.action_code,
      values: { accepted: a.shown ? (100 * a.accepted) / a.shown : 0, declined: a.shown ? (100 * a.declined) / a.shown : 0, snoozed: a.shown ? (100 * a.snoozed) / a.shown : 0 },
      note: `${a.accepted} accepted, ${a.declined} declined of ${a.shown}`,
    })),
    ["accepted", "declined", "snoozed"],
    { stacked: true, max: 100 },
  );
  if (view.health) {
    columnChart($("health"), view.health.bands.map((b) => ({ label: `${b.low}`, value: b.customers, color: BAND_COLORS[b.band] })));
    $("health-note").textContent = `${view.health.customers} customers; bands: at risk below 40, strained 40-60, steady 60-80, strong 80 and above.`;
  }
}

function renderDeadLetters(dead) {
  const list = $("dead-letters");
  list.replaceChildren();
  $("dead-letter-rate").textContent = `${format(dead.in_window)} dead letters per ${format(dead.events_in_window)} events received in the last ${format(lastView.window_s)} s.`;
  if (!dead.latest.length) list.appendChild(make("li", "muted", "none since this page's feed started"));
  for (const d of dead.latest) {
    const item = make("li");
    item.append(make("code", "", d.path), ` ${d.type ?? "unknown type"} · ${d.at.replace("T", " ").slice(0, 19)} · ${d.reasons.join("; ")}`);
    list.appendChild(item);
  }
}

let lastView = null;

function render(view) {
  lastView = view;
  renderAlerts(view.alerts);
  renderServices(view.services);
  renderCharts(view);
  renderDeadLetters(view.dead_letters);
  if (view.uplift) renderUplift($("uplift"), view.uplift, { compact: true });
  $("updated").textContent = `updated ${new Date(view.now * 1000).toLocaleTimeString()}`;
}

async function poll() {
  try {
    const response = await fetch("/v1/ops/dashboard", { headers: { Authorization: `Bearer ${token}` } });
    if (response.status === 401) {
      setStatus("operator token needed", false);
      $("login").hidden = false;
      return;
    }
    if (!response.ok) {
      setStatus(`actions answered ${response.status}`, false);
      return;
    }
    $("login").hidden = true;
    render(await response.json());
    setStatus("live", true);
  } catch {
    setStatus("actions not answering", false);
    renderAlerts([{ code: "service_not_ready", severity: "critical", subject: "actions", title: "actions: not answering", detail: "this page cannot reach actions, which serves it and its figures" }]);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
});
$("uplift-link").addEventListener("click", () => sessionStorage.setItem(TOKEN_KEY, token));
poll();
