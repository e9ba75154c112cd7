"""The schedule: cadence steps and attempts (each a row a worker claims)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Salesperson
from leads.models import Lead


class HoursRule(models.TextChoices):
    # Calls need a salesperson at work and a customer who may be called.
    OPEN = "open", _("Opening hours and customer contact window")
    CONTACT = "contact", _("Customer contact window")
    ANY = "any", _("Any time")


class CadenceStep(models.Model):
    """One step of a dealer's follow-up cadence. Without rows the default cadence applies."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Call")
        EMAIL = "email", _("Email")
        WHATSAPP = "whatsapp", _("WhatsApp")
        LOST = "lost", _("Mark lost (no contact)")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="cadence_steps")
    position = models.PositiveSmallIntegerField(_("position"))
    day = models.PositiveSmallIntegerField(
        _("day"), default=0, help_text=_("Days after the lead arrived (0: the same day).")
    )
    offset_minutes = models.PositiveIntegerField(
        _("minutes after arrival"), default=0, help_text=_("Used on day 0.")
    )
    at_time = models.TimeField(
        _("local time"), null=True, blank=True, help_text=_("Used from day 1 (e.g. 09:00).")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    template = models.CharField(_("message purpose"), max_length=40, default="followup")
    hours_rule = models.CharField(
        _("hours rule"), max_length=10, choices=HoursRule.choices, default=HoursRule.OPEN
    )

    class Meta:
        verbose_name = _("cadence step")
        verbose_name_plural = _("cadence steps")
        ordering = ["dealer", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dealer", "position"], name="cadence_step_position")
        ]

    def __str__(self) -> str:
        return f"{self.dealer} #{self.position} {self.channel}"

    def clean(self) -> None:
        # Calls and WhatsApp reach a person's phone: never at any hour (the contact policy's
        # quiet hours hold anyway; this keeps the cadence saying what will happen).
        if self.hours_rule == HoursRule.ANY and self.channel in (
            self.Channel.PHONE,
            self.Channel.WHATSAPP,
        ):
            raise ValidationError(
                {"hours_rule": _("Calls and WhatsApp messages cannot be set to “any time”.")}
            )


class AttemptQuerySet(models.QuerySet):
    def pending(self) -> AttemptQuerySet:
        return self.filter(status__in=Attempt.PENDING)

    def touches(self) -> AttemptQuerySet:
        """Attempts that contact someone (not the engine's own bookkeeping, such as planning
        the cadence): what a person sees as the lead's upcoming actions."""
        return self.exclude(channel=Attempt.Channel.CADENCE)


class Attempt(models.Model):
    """One planned touch of a lead (a ring, an email, a WhatsApp, marking it lost).

    The schedule lives in these rows (``due_at``), never in Celery countdowns. A row moves
    scheduled → queued (the dispatcher handed it to the broker) → in_progress (a worker claimed
    it with one conditional UPDATE) → done / failed / cancelled.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        QUEUED = "queued", _("Queued")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Call")
        EMAIL = "email", _("Email")
        WHATSAPP = "whatsapp", _("WhatsApp")
        LOST = "lost", _("Mark lost")
        # The engine's own step: write the lead's cadence rows (durable like every other step).
        CADENCE = "cadence", _("Plan the follow-up")

    PENDING = (Status.SCHEDULED, Status.QUEUED)

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="attempts")
    # Idempotency key within the lead: "first_call", "step:3", "recovery", "click:<uuid>", ...
    key = models.CharField(max_length=60)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=20, default="followup")
    label = models.CharField(max_length=100, blank=True)
    hours_rule = models.CharField(max_length=10, choices=HoursRule.choices, default=HoursRule.OPEN)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        Salesperson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["lead", "key"], name="attempt_once")]
        indexes = [
            # The dispatcher's scan: due rows of one status, oldest first.
            models.Index(fields=["status", "due_at"], name="attempt_due"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}/{self.key} {self.status}"

    @property
    def is_first_call(self) -> bool:
        return self.key == "first_call" or self.key.startswith("first_call:")

    @property
    def is_call(self) -> bool:
        return self.channel == self.Channel.PHONE

    def claim(self) -> bool:
        """scheduled/queued → in_progress with one conditional UPDATE; False: someone else has it."""
        now = timezone.now()
        won = Attempt.objects.filter(pk=self.pk, status__in=self.PENDING).update(
            status=self.Status.IN_PROGRESS, claimed_at=now
        )
        if won:
            self.status, self.claimed_at = self.Status.IN_PROGRESS, now
        return bool(won)

    def finish(self, *, outcome: str, status: str = Status.DONE, reason: str = "") -> bool:
        """in_progress → done/failed, once."""
        now = timezone.now()
        won = Attempt.objects.filter(pk=self.pk, status=self.Status.IN_PROGRESS).update(
            status=status, outcome=outcome, reason=reason[:200], finished_at=now
        )
        if won:
            self.status, self.outcome, self.reason, self.finished_at = status, outcome, reason, now
        return bool(won)

    def reschedule(self, due_at: dt.datetime, *, reason: str) -> None:
        Attempt.objects.filter(pk=self.pk).update(
            status=self.Status.SCHEDULED, due_at=due_at, reason=reason[:200], queued_at=None
        )
        self.status, self.due_at, self.reason = self.Status.SCHEDULED, due_at, reason
