// The next best action as a guided conversation: the action's script is a decision tree
// (steps with what to say, the customer's possible answers, leaves that are outcomes).
// The agent reads the step, clicks the customer's answer and is led to the next step,
// until a leaf; the path taken is posted with the outcome. An action without a tree is
// its plain script as a one-step tree.

import { fill, h, words } from "./dom.js";

// DeclineReason in schemas/recommendations.py, in the agent's words.
export const DECLINE_REASONS = [
  ["not_relevant", "Not relevant for this customer"],
  ["customer_not_interested", "Customer not interested"],
  ["already_done", "Already done"],
  ["not_now", "Not the right moment"],
  ["other", "Other"],
];

export function treeOf(action) {
  if (action.guide && action.guide.steps && action.guide.steps.length) return action.guide;
  return { start: "script", steps: [{ id: "script", say: action.script, answers: [], outcome: null }] };
}

export class Conversation {
  constructor(recommendation, actions) {
    this.recommendation = recommendation;
    this.actions = actions; // { record(rec, body), decline(rec, path, note), snooze(rec, path, note) }
    this.tree = treeOf(recommendation.action);
    this.steps = new Map(this.tree.steps.map((step) => [step.id, step]));
    this.path = [];
    this.current = this.tree.start;
    this.note = "";
    this.element = h("section", { class: "panel guide", "aria-labelledby": "guide-title" });
    this.busy = false;
  }

  step() {
    return this.steps.get(this.current);
  }

  choose(answer) {
    this.path.push({ step: this.current, answer: answer.label, said: this.step().say });
    this.current = answer.next;
    this.render(true);
  }

  back() {
    const last = this.path.pop();
    if (last) this.current = last.step;
    this.render(true);
  }

  restart() {
    this.path = [];
    this.current = this.tree.start;
    this.render(true);
  }

  taken() {
    return this.path.map(({ step, answer }) => ({ step, answer }));
  }

  async finish() {
    const leaf = this.step();
    const outcome = leaf.outcome || "accepted";
    await this.actions.record(this.recommendation, {
      outcome,
      path: [...this.taken(), { step: leaf.id, answer: null }],
      note: this.note.trim() || undefined,
    });
  }

  render(moveFocus = false) {
    const rec = this.recommendation;
    const step = this.step();
    const leaf = !step.answers || step.answers.length === 0;
    const say = h("p", { class: "say", id: "guide-say", tabindex: "-1", text: step.say });
    const note = h("textarea", { id: "guide-note", rows: "2", maxlength: "2000" });
    note.value = this.note;
    note.addEventListener("input", () => { this.note = note.value; });
    fill(this.element, 
      h("h3", { id: "guide-title" }, h("span", { class: "eyebrow", text: "Next best action" }), rec.action.title),
      h("ul", { class: "why", "aria-label": "Why" }, rec.why.reasons.map((reason) => h("li", { text: reason }))),
      this.path.length
        ? h("ol", { class: "path", "aria-label": "The conversation so far" }, this.path.map((choice) =>
          h("li", {}, h("span", { class: "said", text: choice.said }), h("span", { class: "answered", text: choice.answer }))))
        : null,
      h("div", { class: "step" },
        h("p", { class: "say-label", text: leaf && this.path.length ? "To close" : this.path.length ? "Then say or ask" : "Say or ask" }),
        say,
        leaf
          ? h("div", { class: "leaf" },
            step.follow_on ? h("p", { class: "muted", text: `Next, suggested: ${words(step.follow_on)}` }) : null,
            h("button", { type: "button", class: "primary", id: "guide-finish", onclick: () => this.guard(() => this.finish()) },
              `Record: ${words(step.outcome || "accepted")}`))
          : h("div", { class: "answers", role: "group", "aria-labelledby": "answers-label" },
            h("p", { id: "answers-label", class: "say-label", text: "The customer's answer" }),
            step.answers.map((answer) => h("button", { type: "button", class: "answer", onclick: () => this.choose(answer) }, answer.label)))),
      h("div", { class: "step-tools" },
        this.path.length ? h("button", { type: "button", class: "quiet", onclick: () => this.back() }, "Back a step") : null,
        this.path.length ? h("button", { type: "button", class: "quiet", onclick: () => this.restart() }, "Start over") : null),
      h("label", { for: "guide-note", text: "Note (optional)" }),
      note,
      h("div", { class: "other-outcomes" },
        h("button", { type: "button", class: "danger", id: "guide-decline", onclick: () => this.actions.decline(rec, this.taken(), this.note) }, "Decline…"),
        h("button", { type: "button", id: "guide-snooze", onclick: () => this.actions.snooze(rec, this.taken(), this.note) }, "Snooze…")));
    if (moveFocus) say.focus();
    return this.element;
  }

  async guard(work) {
    if (this.busy) return;
    this.busy = true;
    try {
      await work();
    } finally {
      this.busy = false;
    }
  }
}
