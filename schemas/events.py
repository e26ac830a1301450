"""Channel events: the CloudEvents 1.0 envelope and the `data` of every v1 event type.

Channel systems send these to ingest (HTTP) or to `interactions.raw` (Kafka). Ingest
validates them with `parse_event`, which returns a typed `InteractionEvent` or raises
`EventInvalid` listing every problem by field path. New fields get defaults; a changed
meaning gets a new type name.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)


class Channel(StrEnum):
    voice = "voice"
    ivr = "ivr"
    chat = "chat"
    email = "email"
    web = "web"
    app = "app"
    branch = "branch"
    social = "social"
    sms = "sms"
    post = "post"
    billing = "billing"
    crm = "crm"


class _Data(BaseModel):
    """Base of every event's `data`: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Text = Annotated[str, Field(max_length=10_000)]
Money = Annotated[float, Field(ge=0, description="Amount in the currency's major unit.")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")]


class ContactStarted(_Data):
    channel: Channel = Field(description="Where the contact happens.")
    agent_id: str | None = Field(default=None, description="Agent handling it, if any.")
    queue: str | None = Field(default=None, description="Queue the contact came through.")
    reason: str | None = Field(default=None, description="Contact reason as the channel knows it.")


class ContactOutcome(StrEnum):
    resolved = "resolved"
    unresolved = "unresolved"
    transferred = "transferred"
    abandoned = "abandoned"


class ContactEnded(_Data):
    channel: Channel = Field(description="Where the contact happened.")
    outcome: ContactOutcome = Field(description="How it ended.")
    wait_seconds: float | None = Field(default=None, ge=0, description="Time spent waiting.")
    handle_seconds: float | None = Field(default=None, ge=0, description="Time being served.")
    reason: str | None = Field(default=None, description="Contact reason as the channel knows it.")


class MessageReceived(_Data):
    channel: Channel = Field(description="Where the message arrived.")
    text: Text = Field(min_length=1, description="What the customer wrote or said.")


class SelfServiceFailed(_Data):
    channel: Channel = Field(description="Where the journey failed.")
    journey: str = Field(min_length=1, description="The self-service journey, e.g. change_address.")
    step: str | None = Field(default=None, description="The step that failed.")
    error_code: str | None = Field(default=None, description="The channel's error code.")


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class ComplaintFiled(_Data):
    channel: Channel = Field(description="Where the complaint was made.")
    category: str = Field(min_length=1, description="Complaint category, e.g. billing.")
    severity: Severity | None = Field(default=None, description="How serious it is.")
    text: Text | None = Field(default=None, description="The complaint in the customer's words.")


class CancellationRequested(_Data):
    channel: Channel = Field(description="Where the customer asked to cancel.")
    product: str = Field(min_length=1, description="The product to be cancelled.")
    reason: str | None = Field(default=None, description="Reason given.")
    text: Text | None = Field(default=None, description="The request in the customer's words.")


class RenewalQuoted(_Data):
    channel: Channel | None = Field(default=None, description="Where the quote was shown.")
    product: str = Field(min_length=1, description="The product being renewed.")
    previous_price: Money = Field(description="Price of the current term.")
    quoted_price: Money = Field(description="Price quoted for the next term.")
    currency: Currency


class PaymentMissed(_Data):
    channel: Channel | None = Field(default=None, description="Channel that reported it.")
    amount: Money = Field(description="Amount missed.")
    currency: Currency
    product: str | None = Field(default=None, description="Product the payment was for.")
    days_overdue: int | None = Field(default=None, ge=0, description="Days past due.")


class LifeEventKind(StrEnum):
    bereavement = "bereavement"
    divorce = "divorce"
    relocation = "relocation"
    new_child = "new_child"
    job_loss = "job_loss"
    illness = "illness"
    retirement = "retirement"
    marriage = "marriage"


class LifeEventReported(_Data):
    channel: Channel | None = Field(default=None, description="Where it was reported.")
    kind: LifeEventKind = Field(description="What happened in the customer's life.")
    text: Text | None = Field(default=None, description="In the customer's words.")


class FeedbackScale(StrEnum):
    nps = "nps"
    csat = "csat"


class FeedbackSubmitted(_Data):
    channel: Channel = Field(description="Where the feedback was given.")
    # scale is declared before score so that the score check can read it.
    scale: FeedbackScale = Field(description="nps (0-10) or csat (1-5).")
    score: int = Field(description="Score on the given scale: nps 0-10, csat 1-5.")
    text: Text | None = Field(default=None, description="Free-text comment.")

    @field_validator("score")
    @classmethod
    def _score_in_range(cls, score: int, info: ValidationInfo) -> int:
        scale = info.data.get("scale")
        low, high = (1, 5) if scale == FeedbackScale.csat else (0, 10)
        if not low <= score <= high:
            raise ValueError(f"score must be between {low} and {high} on the {scale} scale")
        return score


class PurchaseCompleted(_Data):
    channel: Channel | None = Field(default=None, description="Where the purchase was made.")
    product: str = Field(min_length=1, description="What was bought.")
    amount: Money = Field(description="Amount paid.")
    currency: Currency


class ValueTier(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    top = "top"


class Consents(_Data):
    service_contact: bool | None = Field(default=None, description="May we contact about service.")
    marketing: bool | None = Field(default=None, description="May we offer products.")
    profiling: bool | None = Field(default=None, description="May we use data to personalise.")


class ProfileUpdated(_Data):
    channel: Channel | None = Field(default=None, description="Where the profile changed.")
    name: str | None = Field(default=None, description="Display name.")
    segment: str | None = Field(default=None, description="Business segment, e.g. consumer.")
    value_tier: ValueTier | None = Field(default=None, description="Customer value tier.")
    preferred_channel: Channel | None = Field(default=None, description="Preferred channel.")
    timezone: str | None = Field(default=None, description="IANA timezone, e.g. Europe/Dublin.")
    vulnerable: bool | None = Field(default=None, description="Needs extra care.")
    consents: Consents | None = Field(default=None, description="Consents given or withdrawn.")


EVENT_DATA_MODELS: dict[str, type[_Data]] = {
    "contact.started": ContactStarted,
    "contact.ended": ContactEnded,
    "message.received": MessageReceived,
    "selfservice.failed": SelfServiceFailed,
    "complaint.filed": ComplaintFiled,
    "cancellation.requested": CancellationRequested,
    "renewal.quoted": RenewalQuoted,
    "payment.missed": PaymentMissed,
    "life_event.reported": LifeEventReported,
    "feedback.submitted": FeedbackSubmitted,
    "purchase.completed": PurchaseCompleted,
    "profile.updated": ProfileUpdated,
}
EventType = Literal[
    "contact.started",
    "contact.ended",
    "message.received",
    "selfservice.failed",
    "complaint.filed",
    "cancellation.requested",
    "renewal.quoted",
    "payment.missed",
    "life_event.reported",
    "feedback.submitted",
    "purchase.completed",
    "profile.updated",
]

_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
_CORE_ATTRIBUTES = {
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "dataschema",
    "data",
    "data_base64",
}


class CloudEventEnvelope(BaseModel):
    """The CloudEvents 1.0 attributes Small Moments requires, plus extensions."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = Field(description='CloudEvents version, always "1.0".')
    id: str = Field(min_length=1, max_length=256, description="Unique per source.")
    source: str = Field(
        min_length=1,
        max_length=512,
        pattern=r"^\S+$",
        description="URI-reference of the sending system, e.g. /channels/telephony/ivr-eu.",
    )
    type: EventType = Field(description="One of the v1 event types.")
    subject: str = Field(
        min_length=1, max_length=256, description="The customer id the event is about."
    )
    time: datetime | None = Field(
        default=None, description="When it happened (RFC 3339); ingest fills in receipt time."
    )
    datacontenttype: Literal["application/json"] | None = Field(
        default=None, description="Only application/json is accepted."
    )
    dataschema: str | None = Field(default=None, description="URI of the data's schema.")
    data: dict[str, Any] = Field(description="The event's payload; its shape depends on type.")

    @field_validator("time")
    @classmethod
    def _time_has_zone(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("time must carry a UTC offset (RFC 3339)")
        return value

    def extensions(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class InteractionEvent(BaseModel):
    """A validated channel event: envelope plus typed data. What `interactions` carries."""

    model_config = ConfigDict(frozen=True)

    envelope: CloudEventEnvelope
    data: _Data

    @property
    def key(self) -> str:
        """`source` + `id`: what makes an event unique."""
        return f"{self.envelope.source}#{self.envelope.id}"

    @property
    def customer_id(self) -> str:
        return self.envelope.subject

    @property
    def type(self) -> str:
        return self.envelope.type

    @property
    def time(self) -> datetime:
        return self.envelope.time or datetime.now(UTC)


class FieldProblem(BaseModel):
    """One reason an event was refused."""

    field: str = Field(description="Path of the offending field, e.g. data.channel.")
    reason: str = Field(description="What is wrong with it.")


class EventInvalid(ValueError):
    """Raised with every problem found in one event."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))


def _path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    parts = [prefix] if prefix else []
    for item in loc:
        parts.append(f"[{item}]" if isinstance(item, int) else str(item))
    return ".".join(parts).replace(".[", "[") or "(event)"


def _problems(error: ValidationError, prefix: str = "") -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        reason = item["msg"]
        if item["type"] == "extra_forbidden":
            reason = "unknown field"
        elif item["type"] == "literal_error" and item["loc"] == ("type",):
            reason = f"unknown event type {item.get('input')!r}; known: " + ", ".join(
                EVENT_DATA_MODELS
            )
        problems.append(FieldProblem(field=_path(item["loc"], prefix), reason=reason))
    return problems


def parse_event(attributes: Any) -> InteractionEvent:
    """Validate one decoded CloudEvent (a dict of attributes with `data`).

    Raises `EventInvalid` naming each bad field; never returns a half-valid event.
    """
    if not isinstance(attributes, dict):
        raise EventInvalid(
            [FieldProblem(field="(event)", reason="a CloudEvent must be a JSON object")]
        )
    problems: list[FieldProblem] = []
    for name in attributes:
        if name not in _CORE_ATTRIBUTES and not _EXTENSION_NAME.match(str(name)):
            problems.append(
                FieldProblem(
                    field=str(name),
                    reason="extension attribute names must be 1-20 lowercase letters or digits",
                )
            )
    if "data_base64" in attributes:
        problems.append(
            FieldProblem(field="data_base64", reason="binary data is not accepted; send JSON data")
        )
    try:
        envelope = CloudEventEnvelope.model_validate(attributes)
    except ValidationError as error:
        raise EventInvalid(problems + _problems(error)) from None
    if problems:
        raise EventInvalid(problems)
    model = EVENT_DATA_MODELS[envelope.type]
    try:
        data = model.model_validate(envelope.data)
    except ValidationError as error:
        raise EventInvalid(_problems(error, prefix="data")) from None
    return InteractionEvent(envelope=envelope, data=data)
