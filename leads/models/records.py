"""What LeadFlow keeps about its own work: intake requests, digests sent, access to personal
data."""

from __future__ import annotations

import codecs
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer


class IntakeRecord(models.Model):
    """Every webhook request exactly as it arrived, written before it is judged.

    A rejected or failed request keeps its body, so an admin can correct it and replay it: no
    lead is ever lost to a parser bug or a portal's malformed payload.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        CREATED = "created", _("Lead created")
        DUPLICATE = "duplicate", _("Duplicate of an existing lead")
        JOINED = "joined", _("Joined an open lead")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed (server error)")
        IGNORED = "ignored", _("Nothing to do")
        IMPORTED = "imported", _("Inventory imported")

    # Null only for requests naming a dealer that does not exist: kept for the record, shown
    # to superusers only.
    dealer = models.ForeignKey(
        Dealer, on_delete=models.CASCADE, null=True, blank=True, related_name="intake_records"
    )
    dealer_slug = models.CharField(max_length=50)
    source = models.CharField(max_length=40)
    format = models.CharField(
        max_length=20, default="json", help_text="Which parser reads the body on replay."
    )
    external_id = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    content_type = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # The bytes exactly as received: a Latin-1 ADF document replays with its umlauts intact.
    body = models.BinaryField(default=bytes, blank=True)
    body_size = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    errors = models.JSONField(default=dict, blank=True)
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intake_records",
    )
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveSmallIntegerField(default=0)
    # Body and headers removed (retention or erasure); the outcome stays for the statistics.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("intake record")
        verbose_name_plural = _("intake records")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["dealer", "source", "external_id"], name="intake_by_external_id"),
            # Retention's walk over bodies still kept, oldest first.
            models.Index(
                fields=["received_at"], condition=Q(purged_at__isnull=True), name="intake_unpurged"
            ),
            # Erasure reads the bodies of requests that became no lead (rejected, failed).
            models.Index(
                fields=["dealer", "received_at"],
                condition=Q(lead__isnull=True, purged_at__isnull=True),
                name="intake_without_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_slug}/{self.source} {timezone.localtime(self.received_at):%Y-%m-%d %H:%M:%S}"

    @property
    def charset(self) -> str:
        """The charset the sender declared in Content-Type, else UTF-8 (for people to read)."""
        declared = ""
        for param in str(self.headers.get("Content-Type", "")).split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                declared = value.strip().strip('"')
        try:
            return codecs.lookup(declared).name if declared else "utf-8"
        except LookupError:
            return "utf-8"

    @property
    def body_text(self) -> str:
        """The body for people to read and correct; parsers always get the bytes."""
        return bytes(self.body).decode(self.charset, errors="replace")

    @property
    def replayable(self) -> bool:
        # An inventory feed is not replayed: the dealer's next push carries the whole stock.
        if self.format.startswith("inventory"):
            return False
        return self.dealer_id is not None and self.outcome in (
            self.Outcome.REJECTED,
            self.Outcome.FAILED,
            self.Outcome.PENDING,
        )


class FunnelDigest(models.Model):
    """The Monday funnel email of one dealer for one week: sent exactly once.

    The unique (dealer, week) row is the claim: whoever inserts it sends, so two beats or a
    retried task cannot send the digest twice.
    """

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="funnel_digests")
    week = models.CharField(_("ISO week"), max_length=8)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    recipients = models.JSONField(_("sent to"), default=list, blank=True)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("funnel digest")
        verbose_name_plural = _("funnel digests")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "week"], name="funnel_digest_once_a_week")
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.week} {self.status}"


class AccessLog(models.Model):
    """Who looked at or took out personal data: lead page views, exports, erasures.

    Changes made in the admin are in django-auditlog's LogEntry; status moves and notes are on
    the timeline. These rows name the lead by id only, so they hold no personal data themselves.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Opened the lead page")
        EXPORT = "export", _("Exported the person's data")
        ERASE = "erase", _("Erased the person's data")
        SEARCH = "search", _("Looked up a person")
        REPORT_CSV = "report_csv", _("Downloaded the funnel as CSV")
        AUDIT = "audit", _("Read the access log")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="access_log"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept when the user is deleted: the log must still say who it was.
    username = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=12, choices=Action.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["lead", "at"], name="access_by_lead"),
            models.Index(fields=["dealer", "at"], name="access_by_dealer"),
            models.Index(fields=["at"], name="access_by_age"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.lead_id} @ {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def record(
        cls,
        *,
        dealer_id: int,
        user: Any,
        action: str,
        lead_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AccessLog:
        authenticated = user is not None and getattr(user, "is_authenticated", False)
        return cls.objects.create(
            dealer_id=dealer_id,
            lead_id=lead_id,
            user=user if authenticated else None,
            username=user.get_username() if authenticated else (str(user or "") or "system"),
            action=action,
            detail=detail or {},
        )
