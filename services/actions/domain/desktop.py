"""Who sees what on the agents' desktops: agents, stored recommendations, the routing rule.

A desktop gets a recommendation when it is for the desktop channel, not held out, and for
one of the agent's queues or for a customer the agent is on a live contact with.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.recommendations import Recommendation


@dataclass(frozen=True)
class Agent:
    id: str
    name: str | None
    queues: tuple[str, ...]


@dataclass(frozen=True)
class StoredRecommendation:
    """A recommendation as actions stores it.

    `seq` is its place in insert order; `position` its place in the desktops' commit
    order (set once it may be shown on a desktop; None for other channels and holdout).
    """

    seq: int
    status: str
    recommendation: Recommendation
    position: int | None = None


def is_for(agent: Agent, recommendation: Recommendation) -> bool:
    return (
        recommendation.channel.value == "desktop"
        and not recommendation.holdout
        and (recommendation.queue in agent.queues or recommendation.agent_id == agent.id)
    )


def may_see(agent: Agent, recommendation: Recommendation) -> bool:
    """What an agent may read and act on: its queues' recommendations, on any channel,
    and those of customers it is on a live contact with; never holdout ones (their
    existence alone is not for agents)."""
    return not recommendation.holdout and (
        recommendation.queue in agent.queues or recommendation.agent_id == agent.id
    )


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """May a browser page from `origin` open a desktop WebSocket? Clients that send no
    Origin (not browsers) may; browsers only from this service's own origin or one
    listed in ACTIONS_ALLOWED_ORIGINS, so a foreign page cannot ride an agent's session."""
    if origin is None:
        return True
    origin = origin.rstrip("/").lower()
    if origin in (o.rstrip("/").lower() for o in allowed):
        return True
    return host is not None and origin.split("://", 1)[-1] == host.lower()
