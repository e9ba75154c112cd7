"""Re-offer: a lead its salesperson leaves untouched for the dealer's minutes (in opening
hours) goes to the next available salesperson, rung, then to the BDC; every move logged."""

from __future__ import annotations

import datetime as dt

import time_machine

from followup.bdc.tasks import bdc_sweep
from followup.dispatch import dispatch_due
from followup.models import Attempt, Call
from leads.models import Lead, LeadEvent
from tests.conftest import BERLIN, MONDAY_10AM


def moves(lead: Lead) -> list[tuple[str, dict]]:
    return [
        (e.kind, e.data)
        for e in lead.events.filter(kind__in=[LeadEvent.Kind.ASSIGNED, LeadEvent.Kind.BDC])
        if e.data.get("reason") == "re-offer"
    ]


def sweep_at(when: dt.datetime) -> int:
    with time_machine.travel(when, tick=False):
        return bdc_sweep()


def test_an_untouched_lead_goes_to_the_next_salesperson_then_to_the_bdc(
    post_lead, client, rep_a1, rep_a2, bdc_a
):
    with time_machine.travel(MONDAY_10AM, tick=False):
        lead = post_lead()
    assert lead.assigned_to == rep_a1

    assert sweep_at(MONDAY_10AM + dt.timedelta(minutes=4)) == 0
    assert sweep_at(MONDAY_10AM + dt.timedelta(minutes=5, seconds=30)) == 1

    lead.refresh_from_db()
    assert (lead.assigned_to, lead.bdc) == (rep_a2, False)
    [(kind, data)] = moves(lead)
    assert (kind, data["from"], data["to"]) == ("assigned", rep_a1.pk, rep_a2.pk)
    # Rung too: the new owner first, no sooner than the gap after the first call.
    ring = Attempt.objects.get(lead=lead, key="reoffer:1")
    with time_machine.travel(MONDAY_10AM + dt.timedelta(minutes=5, seconds=32), tick=False):
        dispatch_due()
    ring.refresh_from_db()
    assert (ring.status, ring.reason) == ("scheduled", "call gap")
    with time_machine.travel(ring.due_at + dt.timedelta(seconds=2), tick=False):
        dispatch_due()
    assert Call.objects.get(attempt=ring, seq=1).salesperson == rep_a2

    # Nobody else on shift: the BDC gets it.
    assert sweep_at(MONDAY_10AM + dt.timedelta(minutes=11)) == 1
    lead.refresh_from_db()
    assert (lead.assigned_to, lead.bdc, lead.bdc_reason) == (None, True, "re-offer")
    assert [kind for kind, _data in moves(lead)] == ["assigned", "bdc"]
    client.force_login(bdc_a.user)
    with time_machine.travel(MONDAY_10AM + dt.timedelta(minutes=12), tick=False):
        html = client.get("/bdc/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    escalated = html[html.index("bdc-escalated") : html.index("bdc-after_hours")]
    assert "Schmidt" in escalated
    assert sweep_at(MONDAY_10AM + dt.timedelta(minutes=30)) == 0


def test_a_lead_its_salesperson_worked_on_stays_theirs(post_lead, rep_a1, rep_a2):
    with time_machine.travel(MONDAY_10AM, tick=False):
        lead = post_lead()
        lead.log(LeadEvent.Kind.NOTE, by=rep_a1, note="Kunde ruft zurück")

    assert sweep_at(MONDAY_10AM + dt.timedelta(minutes=20)) == 0
    lead.refresh_from_db()
    assert lead.assigned_to == rep_a1


def test_the_minutes_count_only_while_the_showroom_is_open(post_lead, dealer_a, rep_a1, rep_a2):
    dealer_a.bdc_hour = dt.time(19, 0)
    dealer_a.save(update_fields=["bdc_hour"])
    evening = dt.datetime(2026, 11, 23, 18, 58, tzinfo=BERLIN)  # the showroom closes at 19:00
    with time_machine.travel(evening, tick=False):
        lead = post_lead()
    assert lead.assigned_to == rep_a1

    assert sweep_at(dt.datetime(2026, 11, 23, 21, 0, tzinfo=BERLIN)) == 0
    assert sweep_at(dt.datetime(2026, 11, 24, 8, 2, tzinfo=BERLIN)) == 0  # 2 + 2 minutes
    assert sweep_at(dt.datetime(2026, 11, 24, 8, 3, 30, tzinfo=BERLIN)) == 1
    lead.refresh_from_db()
    assert lead.assigned_to == rep_a2
