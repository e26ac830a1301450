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
    """A recommendation as actions stores it: `seq` is its place in the store's order."""

    seq: int
    status: str
    recommendation: Recommendation


def is_for(agent: Agent, recommendation: Recommendation) -> bool:
    return (
        recommendation.channel.value == "desktop"
        and not recommendation.holdout
        and (recommendation.queue in agent.queues or recommendation.agent_id == agent.id)
    )
