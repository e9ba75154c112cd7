"""Bookings the customer made on the booking page: the rows that keep a slot taken."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Salesperson
from leads.models import Lead


class BookingQuerySet(models.QuerySet):
    def holding_time(self) -> BookingQuerySet:
        """Bookings that occupy their slot (a call-back request occupies nobody's slot)."""
        return self.filter(status=Booking.Status.BOOKED).exclude(kind=Booking.Kind.CALLBACK)


class Booking(models.Model):
    class Kind(models.TextChoices):
        TEST_DRIVE = "test_drive", _("Test drive")
        VISIT = "visit", _("Visit")
        CALLBACK = "callback", _("Call-back")

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="bookings")
    # Whose time the slot takes; null: the dealer's (a lead without a salesperson).
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.BOOKED
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The salesperson's notice went out (claimed before sending: at most once).
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer booking")
        verbose_name_plural = _("customer bookings")
        ordering = ["starts_at", "id"]
        constraints = [
            # A slot is one salesperson's (or, without one, the dealer's) exactly once: the
            # database refuses the second of two customers who pick it at the same moment.
            models.UniqueConstraint(
                fields=["salesperson", "starts_at"],
                condition=Q(status="booked", salesperson__isnull=False) & ~Q(kind="callback"),
                name="booking_salesperson_slot_once",
            ),
            models.UniqueConstraint(
                fields=["dealer", "starts_at"],
                condition=Q(status="booked", salesperson__isnull=True) & ~Q(kind="callback"),
                name="booking_dealer_slot_once",
            ),
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(status="booked") & ~Q(kind="callback"),
                name="booking_one_visit_per_lead",
            ),
        ]
        indexes = [models.Index(fields=["dealer", "starts_at"], name="booking_by_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"
