"""The lead: one customer's inquiry and its way through the funnel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Salesperson
from leads.models.events import LeadEvent


class IllegalMove(Exception):
    """A status move the lead's life does not allow (DESIGN §3)."""


class LeadQuerySet(models.QuerySet):
    def for_dealer(self, dealer: Dealer) -> LeadQuerySet:
        return self.filter(dealer=dealer)

    def open(self) -> LeadQuerySet:
        return self.filter(status__in=Lead.OPEN_STATUSES)

    def same_customer(self, *, phone: str, email: str) -> LeadQuerySet:
        match = Q()
        if phone:
            match |= Q(phone=phone)
        if email:
            match |= Q(email=email)
        return self.filter(match) if match else self.none()


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTING = "contacting", _("Contacting")
        REACHED = "reached", _("Reached")
        APPOINTMENT = "appointment", _("Appointment")
        SHOWED = "showed", _("Showed")
        SOLD = "sold", _("Sold")
        LOST = "lost", _("Lost")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        WHATSAPP = "whatsapp", _("WhatsApp")
        SMS = "sms", _("SMS")

    class Condition(models.TextChoices):
        NEW = "new", _("New")
        USED = "used", _("Used")

    OPEN_STATUSES = (
        Status.NEW,
        Status.CONTACTING,
        Status.REACHED,
        Status.APPOINTMENT,
        Status.SHOWED,
    )
    # The lead's life (DESIGN §3). Moves forward along the funnel may skip steps (a walk-in
    # buyer goes from reached straight to sold); any open state may be lost; the BDC re-opens
    # lost leads by contacting them again.
    MOVES: dict[str, set[str]] = {
        Status.NEW: {Status.CONTACTING, Status.REACHED, Status.APPOINTMENT, Status.LOST},
        Status.CONTACTING: {Status.REACHED, Status.APPOINTMENT, Status.LOST},
        Status.REACHED: {Status.APPOINTMENT, Status.SOLD, Status.LOST},
        Status.APPOINTMENT: {Status.SHOWED, Status.SOLD, Status.REACHED, Status.LOST},
        Status.SHOWED: {Status.SOLD, Status.APPOINTMENT, Status.LOST},
        Status.SOLD: set(),
        Status.LOST: {Status.CONTACTING},
    }
    # The funnel's milestones and the column stamped when a lead first gets there: the queue's
    # filters, the funnel report and the status moves all read this one map.
    MILESTONES: dict[str, str] = {
        Status.REACHED.value: "reached_at",
        Status.APPOINTMENT.value: "appointment_set_at",
        Status.SHOWED.value: "showed_at",
        Status.SOLD.value: "sold_at",
        Status.LOST.value: "lost_at",
    }

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="leads")
    source = models.CharField(_("source"), max_length=40)
    sources = models.JSONField(_("all sources"), default=list, blank=True)
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    portal_received_at = models.DateTimeField(_("sent by portal"), null=True, blank=True)
    is_test = models.BooleanField(
        _("test lead"), default=False, help_text=_("Stored, never contacted.")
    )

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)

    vehicle_make = models.CharField(_("make"), max_length=60, blank=True)
    vehicle_model = models.CharField(_("model"), max_length=100, blank=True)
    vehicle_year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    vehicle_condition = models.CharField(
        _("new/used"), max_length=4, blank=True, choices=Condition.choices
    )
    vehicle_stock_number = models.CharField(_("stock number"), max_length=40, blank=True)
    vehicle_vin = models.CharField(_("VIN"), max_length=17, blank=True)
    vehicle_price = models.DecimalField(
        _("price"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    message = models.TextField(_("message"), blank=True)

    # What the portal said: yes, no, or unknown (None, never read as yes). Changes after intake
    # (the salesperson recording a consent or a withdrawal) are the contact policy's Consent rows.
    consent_phone = models.BooleanField(_("may call"), null=True, blank=True, default=None)
    consent_email = models.BooleanField(_("may email"), null=True, blank=True, default=None)
    consent_whatsapp = models.BooleanField(_("may WhatsApp"), null=True, blank=True, default=None)
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)
    # Written by the contact policy: a reply that may be a refusal waits for a person, and a
    # lead without a callable, consented phone is worked by messages (nobody to bridge to).
    possible_opt_out_at = models.DateTimeField(_("possible opt-out"), null=True, blank=True)
    message_only = models.BooleanField(_("message lead"), default=False)
    # The number someone found to be wrong ("wrong number"). Kept as the number rather than a
    # flag: when the lead gets another phone, calls and WhatsApp to it are allowed again.
    phone_invalid = models.CharField(_("phone marked wrong"), max_length=20, blank=True)
    phone_invalid_at = models.DateTimeField(_("phone marked wrong on"), null=True, blank=True)
    raw_payload = models.JSONField(_("payload as received"), default=dict, blank=True)
    # When the lead's salesperson last opened the page: customer replies after it are unread.
    replies_read_at = models.DateTimeField(_("replies read"), null=True, blank=True)
    # Dialled from the salesperson's own phone and no outcome logged since: the queue and
    # the lead page ask how the call went until someone answers.
    own_dial_at = models.DateTimeField(_("dialled from own phone"), null=True, blank=True)

    assigned_to = models.ForeignKey(
        Salesperson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("salesperson"),
    )
    # Who picked up the first ring in person: a colleague the ring escalated or was re-offered
    # to answers for the owner, and the speed report credits them. Set once, by the engine.
    first_answered_by = models.ForeignKey(
        Salesperson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first answered by"),
    )
    bdc = models.BooleanField(_("for the BDC"), default=False)
    bdc_reason = models.CharField(_("why the BDC"), max_length=40, blank=True)

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    lost_reason = models.CharField(_("lost reason"), max_length=100, blank=True)
    # Milestones, written by the follow-up engine and by people, read by queue and report.
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    first_ring_at = models.DateTimeField(_("salesperson's phone first rang"), null=True, blank=True)
    customer_rang_at = models.DateTimeField(_("customer's phone first rang"), null=True, blank=True)
    first_channel = models.CharField(
        _("first channel"), max_length=10, blank=True, choices=Channel.choices
    )
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    reached_at = models.DateTimeField(_("reached"), null=True, blank=True)
    reached_after_attempts = models.PositiveSmallIntegerField(null=True, blank=True)
    appointment_set_at = models.DateTimeField(_("appointment set"), null=True, blank=True)
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    showed_at = models.DateTimeField(_("showed"), null=True, blank=True)
    sold_at = models.DateTimeField(_("sold"), null=True, blank=True)
    lost_at = models.DateTimeField(_("lost"), null=True, blank=True)
    last_inbound_at = models.DateTimeField(_("last reply from customer"), null=True, blank=True)
    next_action = models.CharField(_("next action"), max_length=40, blank=True)
    next_action_due_at = models.DateTimeField(_("next action due"), null=True, blank=True)
    # Personal data lifecycle (privacy/): erased on the person's request, or phone number and
    # texts expired by retention. The row stays so the funnel still counts the lead.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    data_expired_at = models.DateTimeField(_("phone and texts expired"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-received_at"]
        constraints = [
            # "Stored exactly once": the portal's id is the idempotency key.
            models.UniqueConstraint(
                fields=["dealer", "source", "external_id"],
                condition=~Q(external_id=""),
                name="lead_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "status", "next_action_due_at"], name="lead_queue"),
            models.Index(fields=["dealer", "assigned_to", "status"], name="lead_by_rep"),
            models.Index(fields=["dealer", "received_at"], name="lead_by_week"),
            # The funnel's weekly counts and 12-week trend as index-only scans on PostgreSQL
            # (benchmarks/funnel.py: the trend's heap reads dominated one dealer's week).
            models.Index(
                fields=["dealer", "received_at"],
                include=[
                    "is_test",
                    "reached_at",
                    "appointment_set_at",
                    "showed_at",
                    "sold_at",
                    "lost_at",
                ],
                name="lead_funnel",
            ),
            models.Index(fields=["dealer", "phone"], name="lead_by_phone"),
            models.Index(fields=["dealer", "email"], name="lead_by_email"),
            # The salesperson queue (issue 5): new leads oldest first, then the working leads by
            # their next due attempt, for the dealer and for one salesperson.
            models.Index(fields=["dealer", "status", "received_at"], name="lead_queue_new"),
            models.Index(
                fields=["dealer", "assigned_to", "received_at"],
                condition=Q(status="new"),
                name="lead_queue_new_rep",
            ),
            models.Index(
                fields=["dealer", "next_action_due_at"],
                condition=Q(status__in=["contacting", "reached", "appointment", "showed"]),
                name="lead_queue_due",
            ),
            # The queue's "possible opt-outs" section: few rows, found without a scan.
            models.Index(
                fields=["dealer", "possible_opt_out_at"],
                condition=Q(possible_opt_out_at__isnull=False),
                name="lead_possible_opt_out",
            ),
            models.Index(
                fields=["dealer", "assigned_to", "next_action_due_at"],
                condition=Q(status__in=["contacting", "reached", "appointment", "showed"]),
                name="lead_queue_due_rep",
            ),
            # Retention walks closed leads whose phone number and texts are still there.
            models.Index(
                fields=["received_at"],
                condition=Q(data_expired_at__isnull=True, status__in=["sold", "lost"]),
                name="lead_retention",
            ),
            # After the consent evidence's period every lead not yet anonymised is.
            models.Index(
                fields=["received_at"], condition=Q(erased_at__isnull=True), name="lead_unerased"
            ),
        ]

    def __str__(self) -> str:
        return self.customer_name or self.phone or self.email or f"Lead {self.pk}"

    @property
    def customer_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def vehicle(self) -> str:
        parts = [self.vehicle_make, self.vehicle_model]
        if self.vehicle_year:
            parts.append(str(self.vehicle_year))
        return " ".join(p for p in parts if p)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None

    @property
    def phone_is_invalid(self) -> bool:
        """The lead's phone is known to be wrong: no calls and no WhatsApp to it."""
        return bool(self.phone_invalid) and self.phone_invalid == self.phone

    def mark_phone_invalid(
        self, *, by: Salesperson | None = None, at: dt.datetime | None = None
    ) -> bool:
        """Record that the phone is wrong. False when there is no phone or it was known."""
        if not self.phone or self.phone_is_invalid:
            return False
        self.phone_invalid = self.phone
        self.phone_invalid_at = at or timezone.now()
        self.save(update_fields=["phone_invalid", "phone_invalid_at", "updated_at"])
        return True

    def mark_replies_read(self, *, at: dt.datetime | None = None) -> None:
        self.replies_read_at = at or timezone.now()
        type(self).objects.filter(pk=self.pk).update(replies_read_at=self.replies_read_at)

    def mark_dialled(self, *, by: Salesperson, at: dt.datetime | None = None) -> LeadEvent:
        """The salesperson tapped the number to call from their own phone: LeadFlow cannot
        see that call, so it asks for the outcome until one is logged."""
        self.own_dial_at = at or timezone.now()
        self.save(update_fields=["own_dial_at", "updated_at"])
        return self.log(
            LeadEvent.Kind.CALL, by=by, at=self.own_dial_at, data={"event": "own phone"}
        )

    def mark_first_answered(self, *, by_id: int) -> bool:
        """Record who answered first. Both legs' callbacks may report the answer, in either
        order: a conditional UPDATE keeps the first one and a later one changes nothing."""
        won = Lead.objects.filter(pk=self.pk, first_answered_by=None).update(
            first_answered_by_id=by_id
        )
        if won:
            self.first_answered_by_id = by_id
        return bool(won)

    def can_move_to(self, status: str) -> bool:
        return status in self.MOVES[self.status]

    def move_to(
        self,
        status: str,
        *,
        by: Salesperson | None = None,
        note: str = "",
        reason: str = "",
        at: dt.datetime | None = None,
        data: dict[str, Any] | None = None,
    ) -> LeadEvent:
        """Move the lead along its life, set the milestone and write the timeline event.

        Callers hold the row (``select_for_update``) when concurrent moves are possible.
        """
        if not self.can_move_to(status):
            raise IllegalMove(
                _("A lead that is “%(from)s” cannot become “%(to)s”.")
                % {"from": self.get_status_display(), "to": Lead.Status(status).label}
            )
        at = at or timezone.now()
        previous = self.status
        self.status = status
        fields = ["status", "updated_at"]
        milestone = self.MILESTONES.get(status)
        if milestone and getattr(self, milestone) is None:
            setattr(self, milestone, at)
            fields.append(milestone)
        if status == self.Status.REACHED and self.reached_after_attempts is None:
            self.reached_after_attempts = self.attempt_count
            fields.append("reached_after_attempts")
        if status == self.Status.LOST:
            self.lost_reason = reason
            fields.append("lost_reason")
        if previous == self.Status.LOST:
            self.lost_at = None
            self.lost_reason = ""
            fields += ["lost_at", "lost_reason"]
        self.save(update_fields=fields)
        event_data = {"from": previous, "to": status, **(data or {})}
        if reason:
            event_data["reason"] = reason
        return self.log(LeadEvent.Kind.STATUS, by=by, note=note, at=at, data=event_data)

    def opt_out(
        self, *, by: Salesperson | None = None, via: str, at: dt.datetime | None = None
    ) -> LeadEvent | None:
        """Stop all outbound contact at once. Idempotent: a second STOP changes nothing."""
        if self.opted_out_at is not None:
            return None
        at = at or timezone.now()
        self.opted_out_at = at
        self.next_action = ""
        self.next_action_due_at = None
        self.save(update_fields=["opted_out_at", "next_action", "next_action_due_at", "updated_at"])
        return self.log(LeadEvent.Kind.OPTED_OUT, by=by, at=at, data={"via": via})

    def log(
        self,
        kind: str,
        *,
        by: Salesperson | None = None,
        note: str = "",
        at: dt.datetime | None = None,
        data: dict[str, Any] | None = None,
    ) -> LeadEvent:
        return LeadEvent.objects.create(
            lead=self,
            dealer_id=self.dealer_id,
            kind=kind,
            actor=by,
            at=at or timezone.now(),
            note=note,
            data=data or {},
        )
