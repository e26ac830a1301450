"""Channel events: the CloudEvents 1.0 envelope and the `data` of every v1 event type.

Channel systems send these to ingest (HTTP) or to `interactions.raw` (Kafka). Ingest
validates them with `parse_event`, which returns a typed `InteractionEvent` or raises
`EventInvalid` listing every problem by field path. New fields get defaults; a changed
meaning gets a new type name.
"""

from __future__ import annotations

import json
import math
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
# Names, codes and ids inside `data`: longer than this is not a name.
Label = Annotated[str, Field(max_length=256)]
Money = Annotated[float, Field(ge=0, description="Amount in the currency's major unit.")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")]


class ContactStarted(_Data):
    channel: Channel = Field(description="Where the contact happens.")
    agent_id: Label | None = Field(default=None, description="Agent handling it, if any.")
    queue: Label | None = Field(default=None, description="Queue the contact came through.")
    reason: Label | None = Field(
        default=None, description="Contact reason as the channel knows it."
    )


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
    reason: Label | None = Field(
        default=None, description="Contact reason as the channel knows it."
    )


class MessageReceived(_Data):
    channel: Channel = Field(description="Where the message arrived.")
    text: Text = Field(min_length=1, description="What the customer wrote or said.")


class SelfServiceFailed(_Data):
    channel: Channel = Field(description="Where the journey failed.")
    journey: Label = Field(
        min_length=1, description="The self-service journey, e.g. change_address."
    )
    step: Label | None = Field(default=None, description="The step that failed.")
    error_code: Label | None = Field(default=None, description="The channel's error code.")


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class ComplaintFiled(_Data):
    channel: Channel = Field(description="Where the complaint was made.")
    category: Label = Field(min_length=1, description="Complaint category, e.g. billing.")
    severity: Severity | None = Field(default=None, description="How serious it is.")
    text: Text | None = Field(default=None, description="The complaint in the customer's words.")


class CancellationRequested(_Data):
    channel: Channel = Field(description="Where the customer asked to cancel.")
    product: Label = Field(min_length=1, description="The product to be cancelled.")
    reason: Label | None = Field(default=None, description="Reason given.")
    text: Text | None = Field(default=None, description="The request in the customer's words.")


class CancellationCompleted(_Data):
    """The cancellation went through: the customer no longer has the product. This is
    what the uplift report counts as a customer lost."""

    channel: Channel | None = Field(default=None, description="Channel that reported it.")
    product: Label = Field(min_length=1, description="The product cancelled.")
    reason: Label | None = Field(default=None, description="Reason given.")


class RenewalQuoted(_Data):
    channel: Channel | None = Field(default=None, description="Where the quote was shown.")
    product: Label = Field(min_length=1, description="The product being renewed.")
    previous_price: Money = Field(description="Price of the current term.")
    quoted_price: Money = Field(description="Price quoted for the next term.")
    currency: Currency


class PaymentMissed(_Data):
    channel: Channel | None = Field(default=None, description="Channel that reported it.")
    amount: Money = Field(description="Amount missed.")
    currency: Currency
    product: Label | None = Field(default=None, description="Product the payment was for.")
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
    product: Label = Field(min_length=1, description="What was bought.")
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
    name: Label | None = Field(default=None, description="Display name.")
    segment: Label | None = Field(default=None, description="Business segment, e.g. consumer.")
    value_tier: ValueTier | None = Field(default=None, description="Customer value tier.")
    preferred_channel: Channel | None = Field(default=None, description="Preferred channel.")
    timezone: Label | None = Field(default=None, description="IANA timezone, e.g. Europe/Dublin.")
    vulnerable: bool | None = Field(default=None, description="Needs extra care.")
    consents: Consents | None = Field(default=None, description="Consents given or withdrawn.")


EVENT_DATA_MODELS: dict[str, type[_Data]] = {
    "contact.started": ContactStarted,
    "contact.ended": ContactEnded,
    "message.received": MessageReceived,
    "selfservice.failed": SelfServiceFailed,
    "complaint.filed": ComplaintFiled,
    "cancellation.requested": CancellationRequested,
    "cancellation.completed": CancellationCompleted,
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
    "cancellation.completed",
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
        """When it happened: the event's own `time`, or when it was parsed if it had none
        (stamped once, in `parse_event`)."""
        assert self.envelope.time is not None  # parse_event always sets it
        return self.envelope.time


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


# What downstream can hold: PostgreSQL refuses NUL in text, UTF-8 cannot carry a lone
# surrogate, a bigint ends at 2**63-1, JSON has no NaN, and nothing needs to be nested
# deeper than a few levels. Ingest refuses anything beyond these with a 400 naming the
# field; the JSON Schema shows the per-field lengths.
MAX_NESTING = 10
MAX_STRING_CHARS = 10_000
MAX_INTEGER = 2**63 - 1
MAX_INTEGER_DIGITS = len(str(MAX_INTEGER))
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")


class OversizedNumber(str):
    """What `load_json` puts where a number was too long even to convert."""


class NonFiniteNumber(str):
    """What `load_json` puts where the JSON said NaN, Infinity or -Infinity."""


def _parse_int(text: str) -> int | OversizedNumber:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        return OversizedNumber(text)
    return int(text)


def load_json(body: bytes | str) -> Any:
    """json.loads that cannot be made to fail on a number: a 5,000-digit integer or a NaN
    becomes a marker that `content_problems` reports by its field path. Deep nesting
    still raises RecursionError, which the caller turns into a 400."""
    return json.loads(body, parse_int=_parse_int, parse_constant=NonFiniteNumber)


def _name(key: object) -> str:
    text = str(key)
    return json.dumps(text)[1:-1] if _UNSAFE_TEXT.search(text) else text


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if _UNSAFE_TEXT.search(text):
        return "contains a lone UTF-16 surrogate, which is not valid Unicode text"
    if len(text) > MAX_STRING_CHARS:
        return f"is {len(text)} characters long; the limit is {MAX_STRING_CHARS}"
    return None


def content_problems(value: Any, limit: int = 20) -> list[FieldProblem]:
    """Everything in a decoded JSON value that downstream cannot hold, by field path.

    Iterative, so no input can exhaust the stack; stops after `limit` problems.
    """
    problems: list[FieldProblem] = []
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack and len(problems) < limit:
        item, path, depth = stack.pop()
        where = path or "(event)"
        if isinstance(item, dict | list) and depth > MAX_NESTING:
            problems.append(
                FieldProblem(field=where, reason=f"nested deeper than {MAX_NESTING} levels")
            )
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{_name(key)}" if path else _name(key)
                if isinstance(key, str) and (reason := _text_problem(key)):
                    problems.append(FieldProblem(field=child_path, reason=f"the name {reason}"))
                stack.append((child, child_path, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, OversizedNumber):
            problems.append(
                FieldProblem(
                    field=where,
                    reason=f"a number with {len(item.lstrip('-'))} digits;"
                    f" integers must lie within ±{MAX_INTEGER}",
                )
            )
        elif isinstance(item, NonFiniteNumber):
            problems.append(FieldProblem(field=where, reason=f"{item} is not a JSON number"))
        elif isinstance(item, str) and (reason := _text_problem(item)):
            problems.append(FieldProblem(field=where, reason=reason))
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int) and abs(item) > MAX_INTEGER:
            problems.append(
                FieldProblem(field=where, reason=f"integers must lie within ±{MAX_INTEGER}")
            )
        elif isinstance(item, float) and not math.isfinite(item):
            problems.append(FieldProblem(field=where, reason="the number is out of range"))
    return problems


def parse_event(attributes: Any, received_at: datetime | None = None) -> InteractionEvent:
    """Validate one decoded CloudEvent (a dict of attributes with `data`).

    Raises `EventInvalid` naming each bad field; never returns a half-valid event. An
    event without `time` is stamped with `received_at` (default: now), once, here.
    """
    if not isinstance(attributes, dict):
        raise EventInvalid(
            [FieldProblem(field="(event)", reason="a CloudEvent must be a JSON object")]
        )
    if unsafe := content_problems(attributes):
        raise EventInvalid(unsafe)
    return _typed_event(attributes, received_at)


def parse_checked_event(attributes: dict[str, Any]) -> InteractionEvent:
    """Validate an event that ingest has already accepted (what `interactions` carries):
    the model checks only, without the content scan for what PostgreSQL and the broker
    cannot hold, which ingest did at the front door."""
    return _typed_event(attributes, None)


def _typed_event(attributes: dict[str, Any], received_at: datetime | None) -> InteractionEvent:
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
    if envelope.time is None:
        envelope = envelope.model_copy(update={"time": received_at or datetime.now(UTC)})
    return InteractionEvent(envelope=envelope, data=data)
