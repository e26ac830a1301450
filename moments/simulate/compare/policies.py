"""The decision policies `moments evaluate` compares: the real decision code, configured.

Each is the shipped catalogue and actions' `ContactPolicy` with some settings changed,
and whether outcomes reach the learning code. None is a copy of the decision code:

- "do nothing", the control: every decision is made and held out (recorded, never
  shown), as for the holdout group; so nothing is recommended to anyone;
- "default", today's shipped policy: actions' default settings, learning on;
- "always offer", naive and business-first: the same catalogue and hard rules
  (consent by purpose, the care of vulnerable customers, the caps, quiet hours, the
  loyalty penalty), but no learning (propensities stay at the catalogue's priors, no
  exploring), no customer-value term (`weight_customer` 0), no suppression after
  declines, and no one-open-per-issue (a repeat adds a recommendation).

No policy holds anyone out but "do nothing": each is played on the whole population.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from pydantic import SecretStr

from services.actions.domain.decisioning.contact_policy import ContactPolicy

# Recommendation ids and draws are keyed with it, so a run repeats exactly.
ID_SECRET = "moments-evaluate-offline"


@dataclass(frozen=True)
class Policy:
    name: str
    contact: ContactPolicy
    learns: bool  # outcomes reach `Actions.learn`, as the `outcomes` consumer would
    about: str  # in a few words, for the table


def shipped_policy() -> ContactPolicy:
    """actions' contact policy with its default settings, as `moments run` starts it
    (the environment is not read: a run depends on its arguments only)."""
    from services.actions.runtime import contact_policy
    from services.actions.settings import Settings

    defaults = Settings.model_construct(actions_id_secret=SecretStr(ID_SECRET))
    return replace(contact_policy(defaults), holdout_percent=0.0)


def policies() -> tuple[Policy, ...]:
    shipped = shipped_policy()
    return (
        Policy(
            "do nothing",
            replace(shipped, holdout_percent=100.0),
            learns=False,
            about="the control: decided, never shown",
        ),
        Policy("default", shipped, learns=True, about="today's shipped policy"),
        Policy(
            "always offer",
            replace(
                shipped,
                weight_customer=0.0,
                exploration=0.0,
                suppress_after_declines=sys.maxsize,
                one_open_per_issue=False,
            ),
            learns=False,
            about="highest business value, no learning, no suppression, repeats",
        ),
    )
