"""What the queue and lead page may ask of the follow-up engine, without importing it.

``leads`` never imports ``followup`` (DESIGN §2). The engine registers an implementation of
``Engine`` when its app is ready; until one is registered (or for what it does not support) the
UI says the action is unavailable instead of failing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from dealers.models import Salesperson
    from leads.models import Lead


class EngineUnavailable(Exception):
    """The engine cannot do this now; the message is shown to the user as it is."""


@dataclass(frozen=True)
class Upcoming:
    """One scheduled attempt, for the lead page ("next: call, tomorrow 09:00")."""

    due_at: dt.datetime
    channel: str  # "phone", "email", "whatsapp"
    label: str  # an action code; shown through leads.labels.action_label


@dataclass(frozen=True)
class ChannelStatus:
    """The contact policy's view of one channel, for the lead page's consent card."""

    channel: str  # "phone", "email", "whatsapp"
    state: str  # "yes", "no", "unknown"
    source: str  # "portal", "preferred_channel", "salesperson", "suppression", "none"
    suppressed: bool


@dataclass(frozen=True)
class Unsettled:
    """A message that may or may not have gone out (a provider timeout): a person decides."""

    id: int
    channel: str  # "email", "whatsapp"
    purpose: str  # a message purpose code; shown through leads.labels.purpose_label
    to: str
    created_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class ConversationMessage:
    """One message between the dealer and the customer, either way, as a chat bubble."""

    out: bool
    at: dt.datetime
    channel: str  # "email", "whatsapp", and whatever channel the engine adds (SMS)
    channel_label: str
    text: str
    subject: str = ""
    purpose: str = ""  # outbound: a message purpose code (leads.labels.purpose_label)
    status: str = ""  # outbound: queued … delivered, read, failed
    status_label: str = ""  # the status in words, in the viewer's language
    error: str = ""

    @property
    def tone(self) -> str:
        if self.status in ("failed", "undelivered"):
            return "bad"
        return "ok" if self.status in ("sent", "delivered", "read") else ""


class Engine(Protocol):
    def call_now(self, *, lead: Lead, by: Salesperson, override: bool = False) -> None:
        """Ring ``by``'s phone and bridge to the customer (click-to-call), if the contact
        policy allows it now; EngineUnavailable says why not and from when."""

    def send_message(
        self,
        *,
        lead: Lead,
        by: Salesperson,
        channel: str,
        template: str,
        text: str = "",
        override: bool = False,
    ) -> None:
        """Send an email or WhatsApp now, within the channel rules and the contact policy."""

    def opt_out(self, *, lead: Lead, by: Salesperson) -> bool:
        """The customer wants no contact: the person, on all their leads. False: already."""

    def consent_record(
        self, *, lead: Lead, by: Salesperson, channel: str, given: bool, note: str
    ) -> None:
        """The customer gave (or withdrew) consent to ``channel``, as the salesperson heard it."""

    def possible_opt_out_resolve(self, *, lead: Lead, by: Salesperson, confirmed: bool) -> None:
        """A person read the reply: an opt-out (confirmed) or not (the follow-up resumes)."""

    def channel_status(self, *, lead: Lead) -> list[ChannelStatus]:
        """Consent and suppression per channel."""

    def message_templates(self, *, lead: Lead) -> list[tuple[str, str]]:
        """(key, label) of the dealer's templates usable for this lead now."""

    def upcoming(self, *, lead: Lead) -> list[Upcoming]:
        """The lead's scheduled attempts, soonest first."""

    def appointment_booked(self, *, lead: Lead, by: Salesperson) -> None:
        """Confirm ``lead.appointment_at`` to the customer; remind them the day before."""

    def lead_stopped(self, *, lead: Lead, reason: str) -> None:
        """The lead needs no more automatic contact (reached, booked, lost, opted out): cancel
        what is planned and end the ring in progress, at once."""

    def phone_invalid(self, *, lead: Lead, by: Salesperson) -> bool:
        """The lead's phone is wrong: stop calls and WhatsApp to it, ask the customer for
        another way to reach them. True when an email asking went out."""

    def messages_unsettled(self, *, lead: Lead) -> list[Unsettled]:
        """Messages whose outcome is unknown (the provider did not answer), oldest first."""

    def message_settle(self, *, lead: Lead, by: Salesperson, message_id: int, how: str) -> bool:
        """A person checked a message of unknown outcome: ``how`` is "resend" or "sent"."""

    def conversation(self, *, lead: Lead) -> list[ConversationMessage]:
        """Every message to and from the customer on this lead, oldest first."""


_engine: Engine | None = None


def register(engine: Engine) -> None:
    global _engine
    _engine = engine


def engine_stop_on_commit(*, lead: Lead, reason: str) -> None:
    """Tell the engine once the caller's transaction commits (it cancels calls at the
    provider: no network I/O inside a transaction). Without an engine there is nothing to stop."""
    from django.db import transaction

    def stop() -> None:
        with contextlib.suppress(EngineUnavailable):
            engine().lead_stopped(lead=lead, reason=reason)

    transaction.on_commit(stop)


def engine() -> Engine:
    if _engine is None:
        raise EngineUnavailable("The follow-up engine is not running.")
    return _engine
