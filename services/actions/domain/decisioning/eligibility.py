"""The language of a catalogue entry's `eligible_when`: rule-engine over the history.

An expression is compiled once, when the catalogue loads, against the typed vocabulary
below, so a misspelt name, a wrong type or a syntax error stops the load with the
action, the field and the reason. At decision time `facts(moment, history, ...)` gives
the values and the look-back functions for one customer moment; windows count back
from the moment's event time, over what the store loaded (ACTIONS_LOOKBACK_DAYS).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import rule_engine
from rule_engine import DataType

from schemas.signals import SignalType
from services.actions.domain.decisioning.context import CustomerHistory, Moment

_WEEK = timedelta(days=7)
_STRINGS = DataType.ARRAY(DataType.STRING)
_DAYS = (DataType.FLOAT,)


def _function(name: str, returns: Any, *arguments: Any) -> Any:
    return DataType.FUNCTION(name, return_type=returns, argument_types=arguments)


# name -> (type, what it means): the README's table is written from this.
VOCABULARY: dict[str, tuple[Any, str]] = {
    "signal_types_now": (_STRINGS, "types of this moment's signals"),
    "issues_now": (_STRINGS, "issues of this moment's signals, e.g. complaint:billing"),
    "life_events_now": (_STRINGS, "kinds of life event in this moment"),
    "life_events": (_function("life_events", _STRINGS, *_DAYS), "kinds in the last N days"),
    "signals": (
        _function("signals", DataType.FLOAT, DataType.STRING, *_DAYS),
        "signals of a type in the last N days, this moment's included",
    ),
    "recommended": (
        _function("recommended", DataType.FLOAT, DataType.STRING, *_DAYS),
        "times an action was recommended in the last N days",
    ),
    "declines": (
        _function("declines", DataType.FLOAT, DataType.STRING, *_DAYS),
        "times an action was declined in the last N days",
    ),
    "lost_products": (
        _function("lost_products", _STRINGS, *_DAYS),
        "products the customer cancelled in the last N days",
    ),
    "occurrences": (DataType.FLOAT, "the most times an issue of this moment has come up"),
    "unresolved_contacts_7d": (
        DataType.FLOAT,
        "contacts ended without a fix in 7 days (per the latest repeat-contact signal)",
    ),
    "repeat_contact_reason": (DataType.STRING, "what most of the week's contacts were about"),
    "price_rise_percent": (DataType.FLOAT, "this moment's renewal rise, 0 without one"),
    "renewal_above_new_customer_price": (
        DataType.BOOLEAN,
        "this moment's renewal quote is above what a new customer pays",
    ),
    "open_issues": (_STRINGS, "issues inside their cool-down window"),
    "health": (DataType.FLOAT, "relationship health, 0-100 (70 when unknown)"),
    "value_tier": (DataType.STRING, "low, medium, high, top or empty"),
    "segment": (DataType.STRING, "the business segment or empty"),
    "tenure_days": (DataType.FLOAT, "days since the customer was first seen"),
    "vulnerable": (DataType.BOOLEAN, "flagged as needing extra care"),
    "on_live_contact": (DataType.BOOLEAN, "an agent is with the customer now"),
}


class ConditionInvalid(ValueError):
    pass


def compile_condition(text: str) -> rule_engine.Rule:
    """Compile an `eligible_when` expression, or raise ConditionInvalid saying why."""
    context = rule_engine.Context(
        type_resolver={name: kind for name, (kind, _) in VOCABULARY.items()},
        default_timezone="utc",
    )
    try:
        return rule_engine.Rule(text, context=context)
    except rule_engine.SymbolResolutionError as error:
        hint = f" (did you mean {error.suggestion!r}?)" if error.suggestion else ""
        raise ConditionInvalid(f"unknown name {error.symbol_name!r}{hint}") from None
    except rule_engine.EngineError as error:  # syntax errors, type mismatches
        raise ConditionInvalid(str(error.message)) from None


def _since(at: datetime, days: Decimal | float) -> datetime:
    return at - timedelta(days=float(days))


def facts(
    moment: Moment, history: CustomerHistory, renewal_above_new_price: bool
) -> Mapping[str, Any]:
    """The vocabulary's values for this moment (functions close over the history)."""
    at, record = moment.at, history.record
    signals = history.signals or moment.signals
    profile = moment.profile
    repeat = max(
        (s for s in signals if s.type is SignalType.repeat_contact and s.occurred_at > at - _WEEK),
        key=lambda s: s.occurred_at,
        default=None,
    )
    shock = next((s for s in moment.signals if s.type is SignalType.price_shock), None)

    def count(predicate: Callable[[Any], bool], items: Any) -> float:
        return float(sum(1 for item in items if predicate(item)))

    def life_events(days: Decimal) -> tuple[str, ...]:
        since = _since(at, days)
        return tuple(
            dict.fromkeys(
                str(s.details.get("kind"))
                for s in signals
                if s.type is SignalType.life_event and since <= s.occurred_at <= at
            )
        )

    return {
        "signal_types_now": tuple(dict.fromkeys(s.type.value for s in moment.signals)),
        "issues_now": moment.issues,
        "life_events_now": tuple(
            dict.fromkeys(
                str(s.details.get("kind"))
                for s in moment.signals
                if s.type is SignalType.life_event
            )
        ),
        "life_events": life_events,
        "signals": lambda kind, days: count(
            lambda s: s.type.value == kind and _since(at, days) <= s.occurred_at <= at, signals
        ),
        "recommended": lambda code, days: count(
            lambda r: r.action_code == code and r.moment_at >= _since(at, days),
            history.recommendations,
        ),
        "declines": lambda code, days: count(
            lambda o: (
                o.action_code == code and o.outcome.value == "declined" and o.at >= _since(at, days)
            ),
            history.outcomes,
        ),
        "lost_products": lambda days: tuple(
            p.product for p in (record.lost_products if record else []) if p.at >= _since(at, days)
        ),
        "occurrences": float(max(s.occurrences for s in moment.signals)),
        "unresolved_contacts_7d": float(repeat.details.get("unresolved_7d") or 0)
        if repeat
        else 0.0,
        "repeat_contact_reason": str(repeat.details.get("reason") or "") if repeat else "",
        "price_rise_percent": float(shock.details.get("price_rise_percent") or 0) if shock else 0.0,
        "renewal_above_new_customer_price": renewal_above_new_price,
        "open_issues": tuple(i.key for i in record.open_issues) if record else moment.issues,
        "health": _health(moment, history),
        "value_tier": profile.value_tier or "",
        "segment": profile.segment or "",
        "tenure_days": float(record.tenure_days or 0) if record else 0.0,
        "vulnerable": profile.vulnerable,
        "on_live_contact": profile.live_agent_id is not None,
    }


def _health(moment: Moment, history: CustomerHistory) -> float:
    if history.record is not None:
        return float(history.record.health.score)
    latest = moment.signals[-1].health
    return float(latest.score) if latest is not None else 70.0


def holds(rule: rule_engine.Rule, values: Mapping[str, Any]) -> bool:
    return bool(rule.matches(values))
