"""Hand-back: a lead the BDC took after hours goes back to a salesperson when the showroom
opens (the customer's previous salesperson, else the round robin), unless the BDC booked it."""

from __future__ import annotations

import datetime as dt

import time_machine

from followup.bdc.tasks import bdc_sweep
from followup.dispatch import dispatch_due
from followup.models import Call
from followup.progress import lead_reached
from leads.models import Lead, LeadEvent
from tests.conftest import BERLIN, make_lead

FRIDAY_EVENING = dt.datetime(2026, 11, 20, 20, 30, tzinfo=BERLIN)
SATURDAY = dt.datetime(2026, 11, 21, 8, 0, tzinfo=BERLIN)
OPENING = dt.datetime(2026, 11, 21, 9, 0, tzinfo=BERLIN)


def hand_backs(lead: Lead) -> list[dict]:
    return [
        e.data
        for e in lead.events.filter(kind=LeadEvent.Kind.ASSIGNED)
        if e.data.get("reason") == "hand back"
    ]


def test_the_bdcs_night_lead_goes_to_a_salesperson_when_the_showroom_opens(
    post_lead, rep_a1, bdc_a
):
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        lead = post_lead()
    assert (lead.bdc, lead.assigned_to) == (True, None)

    # Saturday 08:00: the BDC makes the first call and reaches the customer.
    with time_machine.travel(SATURDAY + dt.timedelta(seconds=5), tick=False):
        dispatch_due()
        assert Call.objects.get(lead=lead, seq=1).is_bdc
        lead_reached(lead_id=lead.pk, evidence={"via": "call"})
    with time_machine.travel(SATURDAY + dt.timedelta(minutes=30), tick=False):
        assert bdc_sweep() == 0  # the showroom opens at 09:00
    lead.refresh_from_db()
    assert lead.bdc

    with time_machine.travel(OPENING + dt.timedelta(seconds=30), tick=False):
        assert bdc_sweep() == 1
        assert bdc_sweep() == 0

    lead.refresh_from_db()
    assert (lead.bdc, lead.assigned_to) == (False, rep_a1)
    [event] = hand_backs(lead)
    assert event["to"] == rep_a1.pk and event["returning"] is False


def test_a_returning_customer_goes_back_to_their_previous_salesperson(dealer_a, rep_a1, rep_a2):
    make_lead(
        dealer_a,
        rep_a2,
        status=Lead.Status.LOST,
        received_at=OPENING - dt.timedelta(days=60),
        external_id="earlier",
    )
    lead = make_lead(
        dealer_a,
        status=Lead.Status.CONTACTING,
        bdc=True,
        bdc_reason="after_hours",
        received_at=FRIDAY_EVENING,
    )

    with time_machine.travel(OPENING + dt.timedelta(seconds=30), tick=False):
        bdc_sweep()

    lead.refresh_from_db()
    assert lead.assigned_to == rep_a2
    assert hand_backs(lead)[0]["returning"] is True


def test_a_lead_the_bdc_booked_stays_and_a_handed_on_lead_is_not_handed_back(dealer_a, rep_a1):
    booked = make_lead(
        dealer_a,
        status=Lead.Status.APPOINTMENT,
        bdc=True,
        bdc_reason="after_hours",
        received_at=FRIDAY_EVENING,
    )
    handed_on = make_lead(
        dealer_a,
        phone="+491719999999",
        email="other@example.de",
        status=Lead.Status.CONTACTING,
        bdc=True,
        bdc_reason="handed on",
    )

    with time_machine.travel(OPENING + dt.timedelta(seconds=30), tick=False):
        assert bdc_sweep() == 0

    for lead in (booked, handed_on):
        lead.refresh_from_db()
        assert lead.bdc and lead.assigned_to is None
