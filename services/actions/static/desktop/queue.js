// The queue view, for when no call is live: the agent's open, unexpired recommendations,
// grouped by customer, sorted by priority and then age, filtered by queue, in pages.
//
// Opening the page shows what is open now. What arrives later is held back and announced
// ("2 new"), never inserted: nothing moves under the agent's pointer or focus until the
// agent pulls the new items in.

import { ago, h } from "./dom.js";

const GROUPS_PER_PAGE = 8;

export class Queue {
  constructor(elements, open) {
    this.el = elements; // { groups, empty, arrivals, filter, pager, prev, next, label, count, title }
    this.open = open; // open(customerId): show that customer's cockpit
    this.items = new Map();
    this.pending = new Map();
    this.page = 0;
    this.queue = "";
    this.el.filter.addEventListener("change", () => {
      this.queue = this.el.filter.value;
      this.page = 0;
      this.render();
    });
    this.el.prev.addEventListener("click", () => this.turn(-1));
    this.el.next.addEventListener("click", () => this.turn(1));
    this.scheduled = false;
  }

  setQueues(queues) {
    for (const queue of queues) {
      if ([...this.el.filter.options].some((o) => o.value === queue)) continue;
      this.el.filter.append(h("option", { value: queue, text: queue }));
    }
  }

  // What the stream brought: part of the opening queue (shown at once), or an arrival.
  // The same id again is an update (a repeat of its issue strengthened it): it replaces
  // the card where it is, or the held-back arrival, and adds nothing new to announce.
  add(recommendation, opening) {
    if (recommendation.status !== "open") return;
    if (this.items.has(recommendation.id)) {
      this.items.set(recommendation.id, recommendation);
      this.soon();
      return;
    }
    if (this.pending.has(recommendation.id)) {
      this.pending.set(recommendation.id, recommendation);
      return;
    }
    if (opening) {
      this.items.set(recommendation.id, recommendation);
      this.soon();
      return;
    }
    this.pending.set(recommendation.id, recommendation);
    this.announce();
  }

  remove(recommendationId) {
    const had = this.items.delete(recommendationId) || this.pending.delete(recommendationId);
    if (had) {
      this.render();
      this.announce();
    }
  }

  pullIn() {
    for (const [id, rec] of this.pending) this.items.set(id, rec);
    this.pending.clear();
    this.page = 0;
    this.render();
    this.announce();
    this.el.title.focus();
  }

  announce() {
    const count = this.pending.size;
    this.el.arrivals.replaceChildren(
      count
        ? h("p", { class: "arrivals-note" },
          h("span", { text: `${count} new recommendation${count === 1 ? "" : "s"} waiting. ` }),
          h("button", { type: "button", id: "pull-in", class: "primary", onclick: () => this.pullIn() }, count === 1 ? "Show it" : "Show them"))
        : "");
    this.el.count.textContent = String(this.live().length + count);
  }

  turn(delta) {
    this.page += delta;
    this.render();
    this.el.title.focus();
  }

  soon() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  live(now = Date.now()) {
    return [...this.items.values()].filter((rec) => Date.parse(rec.expires_at) > now);
  }

  groups() {
    const byCustomer = new Map();
    for (const rec of this.live()) {
      if (this.queue && rec.queue !== this.queue) continue;
      if (!byCustomer.has(rec.customer_id)) byCustomer.set(rec.customer_id, []);
      byCustomer.get(rec.customer_id).push(rec);
    }
    const groups = [...byCustomer.entries()].map(([customer, recs]) => {
      recs.sort((a, b) => b.priority - a.priority || Date.parse(a.created_at) - Date.parse(b.created_at));
      return { customer, recs, priority: recs[0].priority, oldest: Math.min(...recs.map((r) => Date.parse(r.created_at))) };
    });
    // The most urgent customer first; of equal priority, the one waiting longest.
    groups.sort((a, b) => b.priority - a.priority || a.oldest - b.oldest);
    return groups;
  }

  render() {
    const groups = this.groups();
    const pages = Math.max(1, Math.ceil(groups.length / GROUPS_PER_PAGE));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    const shown = groups.slice(this.page * GROUPS_PER_PAGE, (this.page + 1) * GROUPS_PER_PAGE);
    const focused = document.activeElement && this.el.groups.contains(document.activeElement) ? document.activeElement.id : null;
    this.el.groups.replaceChildren(...shown.map((group) => this.group(group)));
    this.el.empty.hidden = groups.length > 0;
    this.el.pager.hidden = pages < 2;
    this.el.label.textContent = `Page ${this.page + 1} of ${pages}`;
    this.el.prev.disabled = this.page === 0;
    this.el.next.disabled = this.page >= pages - 1;
    this.el.count.textContent = String(this.live().length + this.pending.size);
    if (focused) document.getElementById(focused)?.focus();
  }

  group({ customer, recs }) {
    const headingId = `group-${customer}`;
    return h("li", { class: "group", dataset: { customer } },
      h("article", { "aria-labelledby": headingId },
        h("header", { class: "group-head" },
          h("h3", { id: headingId, text: customer }),
          h("span", { class: "muted", text: `${recs.length} open` }),
          h("button", { type: "button", class: "open-customer", id: `open-${customer}`, onclick: () => this.open(customer), "aria-label": `Open ${customer}` }, "Open")),
        h("ul", { class: "recs" }, recs.map((rec) =>
          h("li", { class: "rec", id: `rec-${rec.id}`, dataset: { recommendation: rec.id } },
            h("span", { class: "priority", title: "Priority", text: `P${rec.priority}` }),
            h("span", { class: "rec-title", text: rec.action.title }),
            h("span", { class: "muted", text: `${rec.queue} · ${ago(rec.created_at)}` }),
            h("p", { class: "rec-why", text: rec.why.reasons.join("; ") }))))));
  }
}
