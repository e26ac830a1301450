// The agent's desktop: the cockpit for the customer on the line, the queue otherwise.
//
// Plain ES modules served by actions: no build step, no framework, nothing from a CDN.
// app.js wires the stream (stream.js) to the two views (cockpit.js, queue.js) and the
// outcome dialogs; api.js holds the token and every call.

import { Api, keepToken, takeToken } from "./api.js";
import { Cockpit } from "./cockpit.js";
import { h } from "./dom.js";
import { DECLINE_REASONS } from "./guide.js";
import { Queue } from "./queue.js";
import { openStream } from "./stream.js";

const $ = (id) => document.getElementById(id);
const announcer = $("announcer");
let api = null;
const live = new Map(); // customers on a call with this agent: id -> record

function say(text) {
  // Re-set so that the same words twice are announced twice.
  announcer.textContent = "";
  requestAnimationFrame(() => { announcer.textContent = text; });
}

function status(kind, text) {
  const element = $("status");
  element.className = `status ${kind === "live" ? "live" : "down"}`;
  element.textContent = text;
}

function showView(which) {
  $("cockpit").hidden = which !== "cockpit";
  $("queue").hidden = which !== "queue";
  $("to-queue").toggleAttribute("aria-current", which === "queue");
  if (which === "queue") $("to-queue").setAttribute("aria-current", "page");
  for (const button of $("calls").querySelectorAll("button")) {
    const current = which === "cockpit" && button.dataset.customer === cockpit.customerId;
    if (current) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
}

async function openCustomer(customerId, { focus = true } = {}) {
  try {
    const view = await api.customer(customerId);
    cockpit.show(view);
    showView("cockpit");
    if (focus) cockpit.focus();
  } catch (error) {
    say(`Could not open ${customerId}: ${error.message}`);
  }
}

async function record(rec, body) {
  try {
    await api.outcome(rec.id, body);
  } catch (error) {
    say(`Not saved: ${error.message}`);
    status("down", `Not saved: ${error.message}`);
    return false;
  }
  queue.remove(rec.id);
  cockpit.answered(rec.id);
  say(`Recorded: ${body.outcome} for ${rec.action.title}.`);
  // The timeline now has the outcome; the cockpit keeps what the agent is doing.
  if (cockpit.customerId === rec.customer_id) {
    api.customer(rec.customer_id).then((view) => cockpit.show(view)).catch(() => {});
  }
  if (!$("cockpit").hidden) ($("guide-say") || $("cockpit-title"))?.focus();
  return true;
}

const declineDialog = $("decline-dialog");
const snoozeDialog = $("snooze-dialog");
let pending = null; // { rec, path } the open dialog is about

$("decline-reasons").append(...DECLINE_REASONS.map(([value, label], i) =>
  h("div", { class: "choice" },
    h("input", { type: "radio", name: "decline-reason", id: `reason-${value}`, value, required: i === 0 }),
    h("label", { for: `reason-${value}`, text: label }))));

function decline(rec, path, note) {
  pending = { rec, path };
  $("decline-form").reset();
  $("decline-note").value = note || "";
  declineDialog.showModal();
  $(`reason-${DECLINE_REASONS[0][0]}`).focus();
}

$("decline-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const chosen = $("decline-form").querySelector("input[name=decline-reason]:checked");
  if (!chosen || !pending) return;
  const { rec, path } = pending;
  declineDialog.close();
  await record(rec, { outcome: "declined", reason: chosen.value, path, note: $("decline-note").value.trim() || undefined });
});
$("decline-cancel").addEventListener("click", () => declineDialog.close());

function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function snooze(rec, path, note) {
  pending = { rec, path };
  $("snooze-form").reset();
  $("snooze-error").textContent = "";
  const inAnHour = new Date(Date.now() + 3600_000);
  $("snooze-until").value = localInput(inAnHour);
  $("snooze-until").min = localInput(new Date());
  $("snooze-note").value = note || "";
  snoozeDialog.showModal();
  $("snooze-until").focus();
}

$("snooze-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const until = new Date($("snooze-until").value);
  if (Number.isNaN(until.getTime()) || until.getTime() <= Date.now()) {
    $("snooze-error").textContent = "Choose a time in the future.";
    return;
  }
  if (!pending) return;
  const { rec, path } = pending;
  snoozeDialog.close();
  await record(rec, { outcome: "snoozed", snooze_until: until.toISOString(), path, note: $("snooze-note").value.trim() || undefined });
});
$("snooze-cancel").addEventListener("click", () => snoozeDialog.close());

const cockpit = new Cockpit($("cockpit"), {
  record,
  decline,
  snooze,
  back: () => {
    showView("queue");
    $("queue-title").focus();
  },
});

const queue = new Queue({
  groups: $("queue-groups"),
  empty: $("queue-empty"),
  arrivals: $("arrivals"),
  filter: $("queue-filter"),
  pager: $("pager"),
  prev: $("page-prev"),
  next: $("page-next"),
  label: $("page-label"),
  count: $("queue-count"),
  title: $("queue-title"),
}, (customerId) => openCustomer(customerId));

$("to-queue").addEventListener("click", () => {
  showView("queue");
  $("queue-title").focus();
});

function renderCalls() {
  $("calls").replaceChildren(...[...live.values()].map((record) =>
    h("button", { type: "button", class: "view-button call-button", dataset: { customer: record.customer_id }, onclick: () => openCustomer(record.customer_id) },
      h("span", { class: "dot", "aria-hidden": "true" }), `On call: ${record.profile.name || record.customer_id}`)));
  showView($("cockpit").hidden ? "queue" : "cockpit");
}

function onCustomer(record) {
  const name = record.profile.name || record.customer_id;
  if (record.on_call) {
    const known = live.has(record.customer_id);
    live.set(record.customer_id, record);
    renderCalls();
    if (!known) {
      // The screen-pop: a new call switches the desktop to its customer at once, from the
      // record the stream brought; the customer API then adds recommendations and history.
      cockpit.show(fromRecord(record));
      showView("cockpit");
      cockpit.focus();
      say(`Call from ${name}. Their cockpit is open.`);
      openCustomer(record.customer_id, { focus: false });
    } else {
      cockpit.contactChanged(record);
    }
    return;
  }
  if (live.delete(record.customer_id)) {
    renderCalls();
    cockpit.contactChanged(record);
    say(`The call with ${name} has ended.`);
  }
}

// What the cockpit can show from a customer record alone, until the full view comes.
function fromRecord(record) {
  const shownBefore = cockpit.customerId === record.customer_id ? cockpit.view : null;
  return {
    customer_id: record.customer_id,
    profile: record.profile,
    health: record.health,
    tenure_days: record.tenure_days,
    live_contact: record.live_contact,
    on_call: record.on_call,
    open_issues: record.open_issues,
    lost_products: record.lost_products,
    timeline: shownBefore ? shownBefore.timeline : [...record.moments].reverse().map((moment) => ({
      kind: "moment", at: moment.at, type: moment.kind, summary: moment.summary,
      sentiment: moment.sentiment, evidence: [], path: [], note: null,
    })),
    open_recommendations: shownBefore ? shownBefore.open_recommendations : [],
    recent_recommendations: shownBefore ? shownBefore.recent_recommendations : [],
    loading: !shownBefore,
  };
}

function onRecommendation(rec, opening) {
  queue.add(rec, opening);
  if (!cockpit.concerns(rec)) return;
  if (!opening) say(`New recommendation for this customer: ${rec.action.title}.`);
  // Its signal is on the timeline now; the conversation in progress is kept.
  api.customer(rec.customer_id).then((view) => {
    if (cockpit.customerId === view.customer_id) cockpit.show(view);
  }).catch(() => {});
}

function connect(token) {
  api = new Api(token);
  $("login").hidden = true;
  status("down", "Connecting…");
  openStream(api, {
    agent: (who) => {
      $("agent").textContent = who.name || who.id;
      queue.setQueues(who.queues);
    },
    status,
    recommendation: onRecommendation,
    customer: onCustomer,
    unauthorized: (detail) => {
      status("down", "Sign in again");
      say(`Not connected: ${detail}`);
      $("login").hidden = false;
      $("token").focus();
    },
  });
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  keepToken(token);
  $("token").value = "";
  connect(token);
});

// Ages and expiries move on; but never re-lay the list under the agent's pointer or focus.
setInterval(() => {
  const list = $("queue-groups");
  if (!list.matches(":hover") && !list.contains(document.activeElement)) queue.render();
}, 30_000);
showView("queue");
queue.render();
const token = takeToken();
if (token) connect(token);
else {
  status("down", "Enter your agent token");
  $("login").hidden = false;
}
