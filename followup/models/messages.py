"""Email and WhatsApp to customers: templates, the outbox, and replies.

Every outbound message is a row with a status that only moves forward, so support can always
answer "did it go out?" and provider callbacks arriving twice or out of order change nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dealers.models import Dealer, Salesperson
from leadflow.lib.metrics import MESSAGES
from leads.models import Lead


def default_variables() -> list[str]:
    return ["first_name", "vehicle", "dealer"]


class MessageTemplate(models.Model):
    """A dealer's own wording for one purpose, channel and language.

    Without one, the built-in defaults (``followup.channels.templates``) are used. WhatsApp
    messages a business starts must use a template Meta approved: its Twilio ``content_sid``
    and the order of its ``{{1}}``, ``{{2}}``… variables.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", pgettext_lazy("channel", "Email")
        WHATSAPP = "whatsapp", pgettext_lazy("channel", "WhatsApp")

    class Category(models.TextChoices):
        UTILITY = "UTILITY", _("Utility (replies, appointments)")
        MARKETING = "MARKETING", _("Marketing (follow-ups)")

    class Approval(models.TextChoices):
        RECEIVED = "received", _("Submitted")
        PENDING = "pending", _("In review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAUSED = "paused", _("Paused")
        DISABLED = "disabled", _("Disabled")
        UNSUBMITTED = "unsubmitted", _("Not submitted")
        FAILED = "failed", _("Could not be submitted")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="message_templates")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(
        _("purpose"),
        max_length=30,
        help_text=_("first, followup, close, appointment, reminder, or your own."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    label = models.CharField(_("label"), max_length=100)
    subject = models.CharField(_("email subject"), max_length=200, blank=True)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {first_name}, {customer_name}, {vehicle}, {dealer}, "
            "{salesperson}, {appointment}."
        ),
    )
    content_sid = models.CharField(
        _("WhatsApp content SID"),
        max_length=64,
        blank=True,
        help_text=_("The approved Twilio content template (HX…)."),
    )
    variables = models.JSONField(
        _("WhatsApp template variables"),
        default=default_variables,
        blank=True,
        help_text=_("Placeholder names for {{1}}, {{2}}, … in order."),
    )
    manual = models.BooleanField(
        _("offered to salespeople"), default=True, help_text=_("Shown on the lead page.")
    )
    # Meta's side of a WhatsApp template, kept in step with Twilio's Content API
    # (followup.channels.content_sync).
    category = models.CharField(
        _("WhatsApp category"), max_length=20, choices=Category.choices, blank=True
    )
    approval_status = models.CharField(
        _("WhatsApp approval"),
        max_length=20,
        choices=Approval.choices,
        blank=True,
        help_text=_("Empty with a content SID: a template approved outside LeadFlow."),
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    approval_checked_at = models.DateTimeField(_("approval checked"), null=True, blank=True)
    revision = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["dealer", "channel", "purpose", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "channel", "purpose", "language"],
                name="message_template_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.channel}, {self.language})"

    @property
    def is_approved(self) -> bool:
        """May be sent as a WhatsApp template outside the 24-hour window."""
        return bool(self.content_sid) and self.approval_status in ("", self.Approval.APPROVED)

    @property
    def needs_sync(self) -> bool:
        return self.channel == self.Channel.WHATSAPP and not self.is_approved

    def change_text(self, *, label: str, subject: str, body: str, variables: list[str]) -> bool:
        """New wording. A WhatsApp template's approved content no longer matches it: it goes
        back to Meta as a new revision. False when nothing changed."""
        if (self.label, self.subject, self.body) == (label, subject, body) and self.pk:
            return False
        text_changed = self.body != body
        self.label, self.subject, self.body = label, subject, body
        if text_changed or not self.pk:
            self.variables = variables
            if self.channel == self.Channel.WHATSAPP:
                self.content_sid, self.approval_status, self.rejection_reason = "", "", ""
                self.approval_checked_at = None
                if self.pk:
                    self.revision += 1
        return True


class OutboundMessageQuerySet(models.QuerySet):
    def pending(self) -> OutboundMessageQuerySet:
        return self.filter(status=OutboundMessage.Status.QUEUED)

    def due(self, now: dt.datetime) -> OutboundMessageQuerySet:
        return self.pending().filter(Q(send_after__isnull=True) | Q(send_after__lte=now))


class OutboundMessage(models.Model):
    """One email, WhatsApp or SMS to a customer, from queued to its last known state."""

    class Channel(models.TextChoices):
        EMAIL = "email", pgettext_lazy("channel", "Email")
        WHATSAPP = "whatsapp", pgettext_lazy("channel", "WhatsApp")
        SMS = "sms", pgettext_lazy("channel", "SMS")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")
        UNDELIVERED = "undelivered", _("Undelivered")
        UNKNOWN = "unknown", _("Outcome unknown")
        CANCELLED = "cancelled", _("Cancelled")

    # How far along a message is. A status may only replace one of lower rank: a late
    # "sent" callback after "delivered" changes nothing, nor does a second "delivered".
    RANK: dict[str, int] = {
        Status.QUEUED: 0,
        Status.SENDING: 1,
        Status.UNKNOWN: 2,
        Status.SENT: 3,
        Status.DELIVERED: 4,
        Status.UNDELIVERED: 4,
        Status.FAILED: 4,
        Status.READ: 5,
        Status.CANCELLED: 9,
    }
    TIMESTAMPS: dict[str, str] = {
        Status.SENDING: "sending_at",
        Status.SENT: "sent_at",
        Status.DELIVERED: "delivered_at",
        Status.READ: "read_at",
        Status.FAILED: "failed_at",
        Status.UNDELIVERED: "failed_at",
        Status.CANCELLED: "cancelled_at",
    }
    FINAL_FAILURES = (Status.FAILED, Status.UNDELIVERED)

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="outbound_messages")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=30)
    template = models.CharField(_("template"), max_length=60, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    content_sid = models.CharField(max_length=64, blank=True)
    content_variables = models.JSONField(default=dict, blank=True)
    # Anything a later step needs to check (e.g. the appointment a reminder is about).
    context = models.JSONField(default=dict, blank=True)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_sid = models.CharField(_("provider id"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    error_code = models.CharField(_("error code"), max_length=20, blank=True)
    error_reason = models.CharField(_("error"), max_length=300, blank=True)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    attempt_id = models.BigIntegerField(_("cadence attempt"), null=True, blank=True)
    sent_by = models.ForeignKey(
        Salesperson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    send_after = models.DateTimeField(_("not before"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When this cadence message counted as an attempt on the lead: once, and only after it
    # went out (a failed or skipped send never counts).
    counted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One message per cadence attempt and channel, however often the engine's task runs.
            models.UniqueConstraint(
                fields=["attempt_id", "channel"],
                condition=Q(attempt_id__isnull=False),
                name="outbound_once_per_attempt",
            )
        ]
        indexes = [
            models.Index(fields=["status", "send_after"], name="outbound_due"),
            models.Index(fields=["provider_sid"], name="outbound_by_sid"),
            models.Index(fields=["lead", "created_at"], name="outbound_by_lead"),
            models.Index(fields=["dealer", "created_at"], name="outbound_by_dealer"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.purpose} → {self.to} ({self.status})"

    @classmethod
    def lower_than(cls, status: str) -> list[str]:
        return [s for s, rank in cls.RANK.items() if rank < cls.RANK[status]]

    def move_to(
        self,
        status: str,
        *,
        at: dt.datetime | None = None,
        allowed_from: list[str] | tuple[str, ...] | None = None,
        **fields: Any,
    ) -> bool:
        """Move forward to ``status`` with one conditional UPDATE; False when the row was
        already there or further along (a duplicate or late callback, or another worker).

        ``allowed_from`` narrows the states the move may start from (a claim is only
        ``queued → sending``).
        """
        at = at or timezone.now()
        sources = list(allowed_from) if allowed_from is not None else self.lower_than(status)
        values: dict[str, Any] = {"status": status, "updated_at": timezone.now(), **fields}
        stamp = self.TIMESTAMPS.get(status)
        if stamp:
            values[stamp] = at
        moved = type(self).objects.filter(pk=self.pk, status__in=sources).update(**values) == 1
        if moved:
            for name, value in values.items():
                setattr(self, name, value)
            MESSAGES.labels(self.channel, status).inc()
        return moved

    def claim(self) -> bool:
        """queued → sending, only if due: exactly one worker may talk to the provider."""
        now = timezone.now()
        claimed = (
            type(self)
            .objects.filter(pk=self.pk)
            .due(now)
            .update(
                status=self.Status.SENDING,
                sending_at=now,
                updated_at=now,
                tries=models.F("tries") + 1,
            )
        )
        if claimed:
            self.status, self.sending_at = self.Status.SENDING, now
            self.tries += 1
            MESSAGES.labels(self.channel, self.Status.SENDING).inc()
        return claimed == 1

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.QUEUED and self.send_after is not None


class InboundMessage(models.Model):
    """A customer's reply by WhatsApp, SMS or email (or from the sandbox phone)."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="inbound_messages", null=True, blank=True
    )
    channel = models.CharField(_("channel"), max_length=10, choices=OutboundMessage.Channel)
    sender = models.CharField(_("from"), max_length=254)
    recipient = models.CharField(_("to"), max_length=254, blank=True)
    text = models.TextField(_("text"), blank=True)
    provider_sid = models.CharField(max_length=100, blank=True)
    opt_out = models.BooleanField(_("opt-out request"), default=False)
    received_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reply from a customer")
        verbose_name_plural = _("replies from customers")
        ordering = ["-received_at", "-id"]
        constraints = [
            # Twilio repeats a webhook it got no answer to: one reply, once.
            models.UniqueConstraint(
                fields=["channel", "provider_sid"],
                condition=~Q(provider_sid=""),
                name="inbound_unique_provider_sid",
            )
        ]
        indexes = [
            models.Index(fields=["lead", "received_at"], name="inbound_by_lead"),
            # Erasure finds a person's replies that matched no lead by their address.
            models.Index(fields=["dealer", "sender"], name="inbound_by_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} from {self.sender}"
