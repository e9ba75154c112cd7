"""Voice call legs and the alarms of a broken two-minute promise."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Salesperson
from followup.models.attempts import Attempt
from leads.models import Lead


class Call(models.Model):
    """One voice leg: the salesperson's (or BDC's) phone, or the customer's bridged from it.

    Status only moves forward (``RANK``): duplicate and out-of-order callbacks change nothing.
    """

    class Leg(models.TextChoices):
        AGENT = "agent", _("Salesperson")
        CUSTOMER = "customer", _("Customer")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DIALING = "dialing", _("Dialing")
        UNKNOWN = "unknown", _("Outcome unknown")
        QUEUED = "queued", _("Queued")
        INITIATED = "initiated", _("Initiated")
        RINGING = "ringing", _("Ringing")
        IN_PROGRESS = "in-progress", _("Answered")
        COMPLETED = "completed", _("Completed")
        BUSY = "busy", _("Busy")
        NO_ANSWER = "no-answer", _("No answer")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    TERMINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
    RANK = {
        "pending": 0,
        "dialing": 1,
        "unknown": 1,
        "queued": 2,
        "initiated": 3,
        "ringing": 4,
        "in-progress": 5,
        "answered": 5,
        **dict.fromkeys(TERMINAL, 9),
    }

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="calls")
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="calls")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    seq = models.PositiveSmallIntegerField(default=0)
    leg = models.CharField(max_length=10, choices=Leg.choices, default=Leg.AGENT)
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_bdc = models.BooleanField(default=False)
    to = models.CharField(max_length=20)
    from_number = models.CharField(max_length=20)
    provider = models.CharField(max_length=10)
    sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    retry_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    # Reconciliations of an unknown create so far (bounded: then the leg is decided).
    checks = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    rang_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True)
    answered_by = models.CharField(max_length=30, blank=True)
    digits = models.CharField(max_length=10, blank=True)
    # What the call led to: "connected", "passed", "bdc", "voicemail", "reached", ...
    outcome = models.CharField(max_length=30, blank=True)
    error = models.CharField(max_length=300, blank=True)
    escalated = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "leg", "seq"],
                condition=Q(parent=None),
                name="call_leg_once",
            ),
            models.UniqueConstraint(
                fields=["parent"], condition=~Q(parent=None), name="call_one_bridge"
            ),
        ]
        indexes = [models.Index(fields=["status", "retry_at"], name="call_retry")]

    def __str__(self) -> str:
        return f"{self.leg} → {self.to} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL

    @property
    def who(self) -> str:
        if self.leg == self.Leg.CUSTOMER:
            return self.lead.customer_name or self.to
        if self.is_bdc:
            return "BDC"
        return self.salesperson.display_name if self.salesperson else self.to

    def advance(self, status: str, **fields) -> bool:
        """Move the status forward (never back) with one conditional UPDATE."""
        rank = self.RANK.get(status)
        if rank is None:
            return False
        lower = [name for name, r in self.RANK.items() if r < rank]
        won = Call.objects.filter(pk=self.pk, status__in=lower).update(status=status, **fields)
        if won:
            self.status = status
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(won)


class RingAlarm(models.Model):
    """The two-minute promise broke for a lead: its managers were (or are being) told, once."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="ring_alarm")
    # "late" (not rung 120 s after receipt) or "nobody to ring" (no one on duty, no BDC phone).
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)
    # Handed to a worker (again after RENOTIFY_AFTER if the notification got lost).
    queued_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ring alarm")
        verbose_name_plural = _("ring alarms")

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.reason}"
