"""How a simulated customer takes a recommendation that reaches them: the latent response.

`receive(life, contact)` says how one contact (an action, on a channel, at a time) lands
with this customer, from what they lived through lately and what they were offered
before. The simulation (`Simulation.contact`) then draws their answer with `chance` x
their propensity for the action, lives through the `felt` moments, and, if they take it
up and it `relieves`, relieves their pain. The rules:

- help that fits, an action answering something they lived through in the last
  FIT_DAYS (see NEEDS), is taken up at their propensity and relieves pain;
- an action that answers nothing they lived through is taken up half as often and
  irritates a little (`misfit`), and relieves nothing;
- contact beyond what they welcome: the (WELCOME_PER_DAY + 1)th in 24 hours or the
  (WELCOME_PER_WEEK + 1)th in 7 days (`nagged`); the same action again within
  REPEAT_DAYS with nothing new lived since that it answers (`repeated_offer`, twice
  as bad after they declined it), which relieves nothing: that need was answered;
- a sale to a customer in pain (`sold_to_in_pain`);
- a vulnerable customer reached by anything but a person (`harmed`).

The felt moments are keys of mood.MOMENTS: they raise pain, and so the churn hazard,
the chance of a complaint and how often the customer gets in touch. Pure: nothing is
drawn or read here; the caller passes the life and the time.
"""

from __future__ import annotations

from dataclasses import dataclass

from moments.simulate.domain.stories.steps import DAY, Life

FIT_DAYS = 14.0
REPEAT_DAYS = 14.0
WELCOME_PER_DAY = 2
WELCOME_PER_WEEK = 4
IN_PAIN = 0.5  # pain above which a sales offer is felt as pushy
HUMAN_CHANNELS = frozenset({"desktop"})  # an agent talks to the customer

# What taking a contact badly does to the chance of taking it up.
MISFIT_CHANCE = 0.5
NAGGED_CHANCE = 0.6
REPEATED_CHANCE = 0.5
PUSHY_CHANCE = 0.3
HARMED_CHANCE = 0.5

SERVICE_TROUBLE = frozenset(
    {"abandoned_contact", "long_wait", "unresolved_contact", "repeat_contact"}
)
GOOD_MOMENTS = frozenset({"praise", "purchase", "resolved_first_time"})
# Every moment that hurts, as the customer lives it (not the platform's own contacts).
PAINS = frozenset(
    {"complaint", "price_rise", "missed_payment", "life_event", "failed_self_service"}
    | SERVICE_TROUBLE
)
LEAVING = "leaving"  # not a moment: the customer asked to cancel and has not yet gone

# What each catalogue action answers: the moments it fits. Exact codes first, then
# families (a code prefix ending in "."). An action the simulator does not know fits
# any painful moment, so a new catalogue entry is neither favoured nor punished.
NEEDS: dict[str, frozenset[str]] = {
    "care.fix_first_time": SERVICE_TROUBLE,
    "care.named_owner": SERVICE_TROUBLE | {"complaint"},
    "care.listen_and_reassure": PAINS,
    "care.thank_you": GOOD_MOMENTS,
    "care.life_events_team": frozenset({"life_event"}),
    "care.bereavement_support": frozenset({"life_event:bereavement"}),
    "care.separation_support": frozenset({"life_event:divorce"}),
    "care.moving_home": frozenset({"life_event:relocation"}),
    "care.new_child": frozenset({"life_event:new_child"}),
    "care.illness_support": frozenset({"life_event:illness"}),
    "care.retirement_review": frozenset({"life_event:retirement"}),
    "care.marriage_update": frozenset({"life_event:marriage"}),
    "collections.job_loss_breathing_space": frozenset({"life_event:job_loss", "missed_payment"}),
    "email.renewal_options": frozenset({"price_rise"}),
    "sms.payment_help": frozenset({"missed_payment"}),
    "push.finish_in_app": frozenset({"failed_self_service"}),
    "retention.": frozenset({LEAVING, "price_rise"}),
    "renewal.": frozenset({"price_rise"}),
    "complaints.": frozenset({"complaint"}),
    "digital.": frozenset({"failed_self_service"}),
    "collections.": frozenset({"missed_payment"}),
    "sales.": GOOD_MOMENTS,
}


@dataclass(frozen=True)
class Contact:
    """A recommendation reaching the customer: the action, the channel, when."""

    action_code: str
    channel: str  # desktop (an agent), email, sms or push
    at: float  # simulated epoch seconds


@dataclass(frozen=True)
class Reception:
    """How a contact lands: whether it fits, whether taken up it relieves, the factor on
    the chance of taking it up, and the moments (mood.MOMENTS key, scale) the customer
    lives through because of it."""

    fits: bool
    relieves: bool
    chance: float
    felt: tuple[tuple[str, float], ...] = ()

    @property
    def welcome(self) -> bool:
        return self.fits and not self.felt


def needs_of(action_code: str) -> frozenset[str]:
    if action_code in NEEDS:
        return NEEDS[action_code]
    family = next(
        (n for p, n in NEEDS.items() if p.endswith(".") and action_code.startswith(p)), None
    )
    return family if family is not None else PAINS


def latest_need(life: Life, action_code: str, at: float) -> float | None:
    """When the customer last lived something the action answers (within FIT_DAYS)."""
    needs = needs_of(action_code)
    if LEAVING in needs and life.leaving_at is not None:
        return at
    since = at - FIT_DAYS * DAY
    return max(
        (when for when, key in life.lived if key in needs and since <= when <= at), default=None
    )


def fits(life: Life, action_code: str, at: float) -> bool:
    """Does the action answer something the customer lived through lately?"""
    return latest_need(life, action_code, at) is not None


def receive(life: Life, contact: Contact) -> Reception:
    """How this contact lands with this customer now (before it is remembered)."""
    at, code = contact.at, contact.action_code
    chance, felt = 1.0, []
    need_at = latest_need(life, code, at)
    fitting = need_at is not None
    if not fitting:
        chance *= MISFIT_CHANCE
        felt.append(("misfit", 1.0))
    earlier = [o for o in life.offers if o.at <= at]
    today = sum(o.at > at - DAY for o in earlier)
    week = sum(o.at > at - 7 * DAY for o in earlier)
    if today >= WELCOME_PER_DAY or week >= WELCOME_PER_WEEK:
        chance *= NAGGED_CHANCE
        felt.append(("nagged", 1.0))
    # offered already, and nothing it answers lived since (an offer after the need
    # answered it; a new need makes the same help welcome again)
    again = [
        o
        for o in earlier
        if o.action_code == code
        and o.at > at - REPEAT_DAYS * DAY
        and (need_at is None or o.at >= need_at)
    ]
    if again:
        chance *= REPEATED_CHANCE
        felt.append(("repeated_offer", 2.0 if again[-1].outcome == "declined" else 1.0))
    if code.startswith("sales.") and life.mood.at_time(at).pain > IN_PAIN:
        chance *= PUSHY_CHANCE
        felt.append(("sold_to_in_pain", 1.0))
    if life.vulnerable and contact.channel not in HUMAN_CHANNELS:
        chance *= HARMED_CHANCE
        felt.append(("harmed", 1.0))
    return Reception(fitting, fitting and not again, chance, tuple(felt))
