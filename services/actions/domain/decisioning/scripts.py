"""An action's guided conversation: a decision tree, validated on load, walked by agents.

A guide (`schemas.recommendations.Script`) has steps; a step says or asks something and
offers the customer's possible answers, each leading to another step; a step without
answers is a leaf and records an outcome, optionally recommending a follow-on action.
`guide_problems` lists what is wrong with one (every step reachable from the start, no
dead ends or loops, every leaf an outcome, follow-on codes that exist); `walk` checks a
path an agent posts against the guide and returns the leaf it reached, if any.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from schemas.recommendations import OutcomeKind, Script, ScriptAnswer, ScriptChoice, ScriptStep


def plain_guide(script: str) -> Script:
    """The guide of an action whose catalogue entry gives only its words: do it, or not."""
    return Script(
        start="do",
        steps=[
            ScriptStep(
                id="do",
                say=script,
                answers=[
                    ScriptAnswer(label="Done", next="done"),
                    ScriptAnswer(label="Not for them", next="not_for_them"),
                ],
            ),
            ScriptStep(id="done", say="Mark it done.", outcome=OutcomeKind.completed),
            ScriptStep(
                id="not_for_them",
                say="Say why it did not fit.",
                outcome=OutcomeKind.declined,
            ),
        ],
    )


def guide_problems(guide: Script, known_codes: Collection[str], own_code: str) -> list[str]:
    """Every problem with `guide`, each as 'where: what' (empty when it is sound)."""
    problems: list[str] = []
    steps: dict[str, ScriptStep] = {}
    for number, step in enumerate(guide.steps):
        if step.id in steps:
            problems.append(f"steps[{number}].id: step {step.id!r} is defined twice")
        steps.setdefault(step.id, step)
    if guide.start not in steps:
        return [*problems, f"start: no step {guide.start!r}"]
    for number, step in enumerate(guide.steps):
        where = f"steps[{number}] ({step.id!r})"
        labels = [a.label for a in step.answers]
        if len(set(labels)) != len(labels):
            problems.append(f"{where}.answers: two answers have the same label")
        for index, answer in enumerate(step.answers):
            if answer.next not in steps:
                problems.append(f"{where}.answers[{index}].next: no step {answer.next!r}")
        if step.answers and (step.outcome or step.follow_on):
            problems.append(f"{where}: a step with answers is not a leaf: no outcome here")
        if not step.answers and step.outcome is None:
            problems.append(f"{where}: a leaf must record an outcome (a dead end otherwise)")
        if step.follow_on is not None:
            if step.follow_on not in known_codes:
                problems.append(f"{where}.follow_on: no action {step.follow_on!r}")
            elif step.follow_on == own_code:
                problems.append(f"{where}.follow_on: an action cannot follow on from itself")
    if problems:
        return problems
    reachable = _reachable(guide.start, steps)
    for number, step in enumerate(guide.steps):
        if step.id not in reachable:
            problems.append(f"steps[{number}] ({step.id!r}): not reachable from {guide.start!r}")
    loop = _loop(guide.start, steps)
    if loop:
        problems.append("steps: the answers go round in a loop: " + " -> ".join(loop))
    return problems


def _reachable(start: str, steps: dict[str, ScriptStep]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for answer in steps[todo.pop()].answers:
            if answer.next not in seen:
                seen.add(answer.next)
                todo.append(answer.next)
    return seen


def _loop(start: str, steps: dict[str, ScriptStep]) -> list[str]:
    """A cycle reachable from the start, as the steps along it; empty when there is none.
    A tree (or a graph whose branches meet again) always ends in a leaf."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(step_id: str) -> list[str]:
        state[step_id] = 1
        path.append(step_id)
        for answer in steps[step_id].answers:
            if state.get(answer.next) == 1:
                return [*path[path.index(answer.next) :], answer.next]
            if answer.next not in state and (found := visit(answer.next)):
                return found
        state[step_id] = 2
        path.pop()
        return []

    return visit(start)


class PathInvalid(ValueError):
    """A posted path does not follow the guide; `field` names the choice at fault."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def walk(guide: Script, path: Sequence[ScriptChoice]) -> ScriptStep | None:
    """Follow `path` from the guide's start; return the leaf it ends on (None if it stops
    part-way, which a declined or snoozed conversation may). Raises PathInvalid."""
    if not path:
        return None
    steps = {s.id: s for s in guide.steps}
    expected = guide.start
    step = steps[expected]
    for index, choice in enumerate(path):
        if choice.step != expected:
            raise PathInvalid(f"path[{index}].step", f"expected step {expected!r}")
        step = steps[expected]
        if choice.answer is None:
            if index != len(path) - 1:
                raise PathInvalid(f"path[{index}].answer", "only the last step may have none")
            break
        answer = next((a for a in step.answers if a.label == choice.answer), None)
        if answer is None:
            offered = ", ".join(repr(a.label) for a in step.answers) or "none (a leaf)"
            raise PathInvalid(f"path[{index}].answer", f"step {step.id!r} offers {offered}")
        expected = answer.next
        step = steps[expected]
    return step if not step.answers else None
