"""What happens when the customer books a slot or asks for a call-back on the booking page."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from dealers.models import Dealer, Salesperson
from followup import messaging, queue
from followup.booking.models import Booking
from followup.booking.slots import (
    calendar_owner,
    callback_times,
    slot_if_free,
    slot_length,
)
from followup.channels import templates as tpl
from followup.models import Attempt, HoursRule, OutboundMessage
from followup.progress import attempts_cancel, lead_next_action_refresh
from followup.stop import followup_stop
from leads.labels import action_code
from leads.models import Lead, LeadEvent

log = logging.getLogger(__name__)

CALLBACK_MINUTES = 15
# A notice still unsent this long after the booking had its enqueue lost (broker down).
NOTICE_GRACE = dt.timedelta(seconds=60)


class SlotTaken(Exception):
    """Someone else got the slot first (or it is no longer offered)."""


class BookingClosed(Exception):
    """The lead cannot be booked any more (the car was bought)."""


def _lock_calendar(lead: Lead) -> Salesperson | None:
    """Lock the row of the calendar the slot belongs to, then the lead's.

    Bookings in one calendar are decided one at a time: the second of two customers picking
    the same slot waits here and then finds it taken. The order (calendar, then lead) is
    intake's (dealer, salesperson, lead), so the two never wait on each other in a circle.
    """
    person = calendar_owner(lead)
    if person is not None:
        Salesperson.objects.select_for_update().filter(pk=person.pk).first()
    else:
        Dealer.objects.select_for_update().filter(pk=lead.dealer_id).first()
    return person


def _locked_lead(lead_id: int) -> Lead:
    return (  # type: ignore[no-any-return]
        Lead.objects.select_for_update(of=("self",))
        .select_related("dealer", "assigned_to__user")
        .get(pk=lead_id)
    )


def booking_create(*, lead_id: int, starts_at: dt.datetime, kind: str) -> Booking:
    """Book a visit or test drive in a free slot for the customer; the lead gets the
    appointment (evidence: booked by the customer) and the cadence's calls end.

    Raises SlotTaken or BookingClosed. Call ``booking_confirm`` after the commit.
    """
    if kind not in (Booking.Kind.TEST_DRIVE, Booking.Kind.VISIT):
        raise ValueError(f"not a visit kind: {kind!r}")
    lead = Lead.objects.select_related("dealer", "assigned_to__user").get(pk=lead_id)
    with transaction.atomic():
        person = _lock_calendar(lead)
        lead = _locked_lead(lead_id)
        if lead.status == Lead.Status.SOLD:
            raise BookingClosed
        if calendar_owner(lead) != person:
            raise SlotTaken  # reassigned meanwhile: the page shows the new calendar
        slot = slot_if_free(lead=lead, starts_at=starts_at)
        if slot is None:
            raise SlotTaken
        previous = Booking.objects.holding_time().filter(lead=lead).first()
        if previous is not None:
            previous.status, previous.cancelled_at = Booking.Status.CANCELLED, timezone.now()
            previous.save(update_fields=["status", "cancelled_at"])
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    dealer_id=lead.dealer_id,
                    lead=lead,
                    salesperson=person,
                    kind=kind,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                )
        except IntegrityError:
            # The constraint is the last word when something bypassed the lock.
            raise SlotTaken from None
        _appointment_set(lead=lead, booking=booking, previous=previous)
        attempts_cancel(lead=lead, reason="appointment booked by the customer")
        # A salesperson's phone still ringing for this lead stops too (after the commit).
        transaction.on_commit(lambda: followup_stop(lead_id=lead.pk, reason="appointment"))
    return booking


def _appointment_set(*, lead: Lead, booking: Booking, previous: Booking | None) -> None:
    now = timezone.now()
    moved_from = lead.appointment_at if lead.status == Lead.Status.APPOINTMENT else None
    lead.appointment_at = booking.starts_at
    lead.next_action, lead.next_action_due_at = "", None
    lead.save(update_fields=["appointment_at", "next_action", "next_action_due_at", "updated_at"])
    evidence = {"kind": "customer_booking", "booking": booking.pk, "at": now.isoformat()}
    if lead.status != Lead.Status.APPOINTMENT:
        if lead.status == Lead.Status.LOST:
            lead.move_to(Lead.Status.CONTACTING, at=now, note="booked by the customer")
        lead.move_to(Lead.Status.APPOINTMENT, at=now, data={"evidence": evidence})
    lead.log(
        LeadEvent.Kind.APPOINTMENT,
        at=now,
        data={
            "at": booking.starts_at.isoformat(),
            "kind": booking.kind,
            "by_customer": True,
            "booking": booking.pk,
            "moved_from": moved_from.isoformat() if moved_from and previous else None,
        },
    )


def booking_confirm(*, booking_id: int) -> None:
    """After the commit: the customer's confirmation (email with the .ics first) and the
    salesperson's notice. Both go through the outbox / a task: no network I/O here."""
    booking = Booking.objects.select_related("lead__dealer", "lead__assigned_to__user").get(
        pk=booking_id
    )
    lead = booking.lead
    if booking.kind != Booking.Kind.CALLBACK:
        messaging.appointment_booked(
            lead=lead,
            by=None,
            prefer=OutboundMessage.Channel.EMAIL,
            context={"minutes": int(slot_length().total_seconds() // 60), "kind": booking.kind},
        )
    # Should the broker refuse it: committed and not yet notified, bookings_unnotified hands it
    # to the next beat.
    queue.enqueue_on_commit(queue.BOOKING_NOTIFY, booking.pk, recoverable=True)


def bookings_unnotified(*, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Bookings of the last day whose notice is overdue (its enqueue was lost)."""
    now = now or timezone.now()
    return list(
        Booking.objects.filter(
            notified_at__isnull=True,
            created_at__lt=now - NOTICE_GRACE,
            created_at__gt=now - dt.timedelta(days=1),
        )
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )


def callback_request(*, lead_id: int, at: dt.datetime) -> Booking:
    """The customer asks to be called at ``at``: a call attempt at that time, and no cadence
    calls before it. Raises SlotTaken when ``at`` is not (or no longer) offered."""
    lead = Lead.objects.select_related("dealer", "assigned_to__user").get(pk=lead_id)
    with transaction.atomic():
        person = _lock_calendar(lead)
        lead = _locked_lead(lead_id)
        if lead.status == Lead.Status.SOLD:
            raise BookingClosed
        if at not in callback_times(lead=lead):
            raise SlotTaken
        booking = Booking.objects.create(
            dealer_id=lead.dealer_id,
            lead=lead,
            salesperson=person,
            kind=Booking.Kind.CALLBACK,
            starts_at=at,
            ends_at=at + dt.timedelta(minutes=CALLBACK_MINUTES),
        )
        # The customer said when: earlier cadence calls would only interrupt them.
        earlier = Attempt.objects.pending().filter(
            lead=lead, channel=Attempt.Channel.PHONE, due_at__lt=at, requested_by=None
        )
        earlier.exclude(purpose="callback").update(
            status=Attempt.Status.CANCELLED,
            reason="the customer asked to be called later",
            finished_at=timezone.now(),
        )
        Attempt.objects.create(
            dealer_id=lead.dealer_id,
            lead=lead,
            key=f"callback:{booking.pk}",
            channel=Attempt.Channel.PHONE,
            purpose="callback",
            label=action_code("callback"),
            hours_rule=HoursRule.ANY,
            due_at=at,
        )
        if lead.status == Lead.Status.LOST:
            lead.move_to(Lead.Status.CONTACTING, note="call-back asked by the customer")
        lead.log(
            LeadEvent.Kind.ATTEMPT,
            data={
                "scheduled": action_code("callback"),
                "due_at": at.isoformat(),
                "by_customer": True,
                "booking": booking.pk,
            },
        )
        lead_next_action_refresh(lead=lead)
    return booking


def booking_notify(*, booking_id: int) -> bool:
    """Email the salesperson (else the BDC) about the customer's booking. At most once."""
    if not Booking.objects.filter(pk=booking_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return False
    booking = Booking.objects.select_related(
        "lead__dealer", "lead__assigned_to__user", "salesperson__user"
    ).get(pk=booking_id)
    lead = booking.lead
    person = booking.salesperson or lead.assigned_to
    recipient = person.user.email if person is not None and person.user.email else ""
    recipient = recipient or lead.dealer.bdc_email
    if not recipient:
        return False
    with translation.override(lead.dealer.language), timezone.override(lead.dealer.tz):
        when = formats.date_format(timezone.localtime(booking.starts_at), "DATETIME_FORMAT")
        customer = lead.customer_name or lead.phone or lead.email
        if booking.kind == Booking.Kind.CALLBACK:
            subject = _("%(customer)s asks for a call at %(when)s") % {
                "customer": customer,
                "when": when,
            }
        else:
            subject = _("%(customer)s booked a %(kind)s: %(when)s") % {
                "customer": customer,
                "kind": booking.get_kind_display(),
                "when": when,
            }
        body = render_to_string(
            "followup/booking/notification.txt",
            {
                "lead": lead,
                "booking": booking,
                "when": when,
                "lead_url": f"{settings.LEADFLOW_PUBLIC_URL}/leads/{lead.pk}/",
            },
        )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except Exception:
        Booking.objects.filter(pk=booking_id).update(notified_at=None)
        raise
    return True


def customer_language(lead: Lead) -> str:
    return tpl.language_of(lead)
