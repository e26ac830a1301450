// The cockpit: the customer on the line. Who they are, how the relationship stands, what
// happened to them lately, and the next best action as a guided conversation.

import { ago, fill, h, when, words } from "./dom.js";
import { Conversation } from "./guide.js";
import { healthPanel } from "./health.js";

const TIERS = { low: "Low", medium: "Medium", high: "High", top: "Top" };

export class Cockpit {
  constructor(element, actions) {
    this.element = element;
    this.actions = actions; // the outcome actions the conversations call, and back()
    this.view = null;
    this.conversations = new Map();
    this.active = null;
  }

  get customerId() {
    return this.view ? this.view.customer_id : null;
  }

  show(view) {
    const same = this.view && this.view.customer_id === view.customer_id;
    if (!same) {
      this.conversations.clear();
      this.active = null;
    }
    this.view = view;
    const open = view.open_recommendations;
    const started = this.active && this.conversations.get(this.active)?.path.length;
    // The best open one leads, unless the agent is already in a conversation: a better
    // one arriving is listed, never swapped in under them.
    if (!started || !open.some((rec) => rec.id === this.active)) this.active = open.length ? open[0].id : null;
    this.render();
  }

  // Is this recommendation for the customer shown? (The caller then reloads the view:
  // the cockpit shows recommendations as the customer API gives them.)
  concerns(recommendation) {
    return Boolean(this.view) && recommendation.customer_id === this.view.customer_id;
  }

  answered(recommendationId) {
    if (!this.view) return;
    const open = this.view.open_recommendations.filter((rec) => rec.id !== recommendationId);
    this.conversations.delete(recommendationId);
    this.view = { ...this.view, open_recommendations: open };
    if (this.active === recommendationId) this.active = open.length ? open[0].id : null;
    this.render();
  }

  contactChanged(record) {
    if (!this.view || record.customer_id !== this.view.customer_id) return;
    this.view = { ...this.view, live_contact: record.on_call ? record.live_contact : null, on_call: record.on_call, health: record.health, profile: record.profile };
    this.render();
  }

  conversation(rec) {
    if (!this.conversations.has(rec.id)) this.conversations.set(rec.id, new Conversation(rec, this.actions));
    return this.conversations.get(rec.id);
  }

  focus() {
    const title = this.element.querySelector("#cockpit-title");
    if (title) title.focus();
  }

  render() {
    const view = this.view;
    if (!view) return;
    const profile = view.profile || {};
    const name = profile.name || view.customer_id;
    const contact = view.live_contact;
    const open = view.open_recommendations;
    const active = open.find((rec) => rec.id === this.active);
    const focusedId = document.activeElement && this.element.contains(document.activeElement) ? document.activeElement.id : null;
    fill(this.element, 
      h("header", { class: "cockpit-head" },
        h("div", {},
          h("h2", { id: "cockpit-title", tabindex: "-1", text: name }),
          h("p", { class: "muted", text: profile.name ? view.customer_id : "" })),
        view.on_call && contact
          ? h("p", { class: "call live" }, h("span", { class: "dot", "aria-hidden": "true" }),
            `On the line · ${words(contact.channel || "contact")}${contact.queue ? ` · ${contact.queue} queue` : ""}${contact.started_at ? ` · since ${when(contact.started_at)}` : ""}`)
          : h("p", { class: "call ended", text: "Not on a call with you" }),
        h("button", { type: "button", class: "quiet", id: "back-to-queue", onclick: () => this.actions.back() }, "Back to the queue")),
      profile.vulnerable
        ? h("aside", { class: "care", "aria-label": "Extra care" },
          h("p", {}, h("strong", { text: "Take extra care. " }),
            "This customer may be in a vulnerable situation. Go at their pace, check they have understood, and make no sales offers."))
        : null,
      h("div", { class: "cockpit-grid" },
        h("div", { class: "column about" }, profilePanel(view, profile), healthPanel(view.health)),
        h("div", { class: "column act" },
          active ? this.conversation(active).render() : h("section", { class: "panel guide", "aria-labelledby": "guide-title" },
            h("h3", { id: "guide-title", text: "Next best action" }),
            h("p", { class: "muted", text: view.loading ? "Looking up the next best action…" : "Nothing to recommend right now. Listen; a recommendation appears here the moment one fits." })),
          open.length > 1 ? alsoOpen(open, active, (id) => { this.active = id; this.render(); this.element.querySelector("#guide-say")?.focus(); }) : null),
        h("div", { class: "column history" }, timelinePanel(view))));
    if (focusedId) document.getElementById(focusedId)?.focus();
  }
}

function profilePanel(view, profile) {
  const consents = [
    ["Service contact", profile.consent_service_contact],
    ["Marketing", profile.consent_marketing],
    ["Profiling", profile.consent_profiling],
  ];
  const facts = [
    ["Segment", words(profile.segment) || "Not known"],
    ["Customer for", tenure(view.tenure_days)],
    ["Value tier", TIERS[profile.value_tier] || "Not known"],
    ["Prefers", words(profile.preferred_channel) || "Not known"],
  ];
  return h("section", { class: "panel profile", "aria-labelledby": "profile-title" },
    h("h3", { id: "profile-title", text: "Customer" }),
    h("dl", { class: "facts" }, facts.map(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })])),
    h("h4", { text: "Consents" }),
    h("ul", { class: "consents" }, consents.map(([what, given]) =>
      h("li", { class: given ? "yes" : "no" }, h("span", { class: "mark", "aria-hidden": "true", text: given ? "✓" : "✕" }), `${what}: ${given ? "yes" : "no"}`))),
    view.open_issues.length
      ? [h("h4", { text: "Open issues" }), h("ul", { class: "issues" }, view.open_issues.map((issue) =>
        h("li", { text: `${words(issue.key.replace(":", ": "))}${issue.occurrences > 1 ? ` (${issue.occurrences} times)` : ""}` })))]
      : null);
}

function tenure(days) {
  if (days === null || days === undefined) return "Not known";
  if (days < 60) return `${days} days`;
  if (days < 730) return `${Math.round(days / 30)} months`;
  return `${(days / 365).toFixed(1)} years`;
}

function alsoOpen(open, active, pick) {
  return h("section", { class: "panel also", "aria-labelledby": "also-title" },
    h("h3", { id: "also-title", text: "Also open for this customer" }),
    h("ul", { class: "also-list" }, open.filter((rec) => rec !== active).map((rec) =>
      h("li", {},
        h("span", { class: "priority", text: `P${rec.priority}` }),
        h("span", { class: "also-title", text: rec.action.title }),
        h("button", { type: "button", class: "quiet", onclick: () => pick(rec.id), "aria-label": `Start ${rec.action.title}` }, "Start")))));
}

const KIND_LABELS = { moment: "Moment", signal: "Found", outcome: "Outcome" };

function timelinePanel(view) {
  const entries = view.timeline;
  return h("section", { class: "panel timeline", "aria-labelledby": "timeline-title" },
    h("h3", { id: "timeline-title", text: "Recent moments" }),
    entries.length
      ? h("ol", { class: "entries" }, entries.map((entry) =>
        h("li", { class: `entry ${entry.kind}${entry.sentiment !== null && entry.sentiment < 0 ? " bad" : ""}${entry.sentiment > 0 ? " good" : ""}` },
          h("p", { class: "entry-head" },
            h("span", { class: "kind", text: KIND_LABELS[entry.kind] }),
            h("time", { datetime: entry.at, title: when(entry.at), text: ago(entry.at) })),
          h("p", { class: "entry-text", text: entry.summary }),
          entry.kind === "signal" && entry.evidence.length
            ? h("p", { class: "evidence muted", text: `From ${entry.evidence.map((e) => `${e.type} (${when(e.time)})`).join(", ")}` })
            : null,
          entry.kind === "outcome" && entry.path.length
            ? h("p", { class: "evidence muted", text: `Path: ${entry.path.filter((c) => c.answer).map((c) => c.answer).join(" → ") || "straight to the end"}` })
            : null,
          entry.note ? h("p", { class: "evidence", text: `Note: ${entry.note}` }) : null)))
      : h("p", { class: "muted", text: "Nothing yet." }));
}
