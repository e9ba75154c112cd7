"""The durable cadence: rows with due_at, the dispatcher, hours and DST, stop conditions."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone, translation

from followup.dispatch import dispatch_due
from followup.models import Attempt, Call, OutboundMessage
from followup.policy.consent import consent_record
from leads import engine
from leads.labels import action_label
from leads.models import Lead, LeadEvent
from tests.conftest import BERLIN
from tests.followup.conftest import agent_leg, pending

UTC = dt.UTC


def due(lead: Lead, key: str) -> dt.datetime:
    return Attempt.objects.get(lead=lead, key=key).due_at.astimezone(UTC)


def test_the_default_cadence_follows_the_dealer_practice(post_lead, rep_a1):
    lead = post_lead()  # Monday 2026-11-23 10:00 Berlin
    t0 = lead.first_attempt_at  # the cadence counts from the first real attempt

    rows = Attempt.objects.filter(lead=lead, key__startswith="step:").order_by("due_at", "id")
    assert [(r.channel, r.purpose) for r in rows] == [
        ("phone", "followup"),
        ("phone", "followup"),
        ("phone", "followup"),
        ("whatsapp", "followup"),
        ("phone", "followup"),
        ("phone", "followup"),
        ("email", "followup"),
        ("phone", "followup"),
        ("whatsapp", "close"),
        ("email", "close"),
        ("lost", "no contact"),
    ]
    assert due(lead, "step:1") == t0 + dt.timedelta(minutes=15)
    assert due(lead, "step:2") == t0 + dt.timedelta(hours=2)
    assert due(lead, "step:3") == dt.datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)
    assert due(lead, "step:11") == dt.datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)
    lead.refresh_from_db()
    assert lead.next_action_due_at == t0 + dt.timedelta(minutes=15)
    with translation.override("en"):
        labels = [action_label(u.label) for u in engine.engine().upcoming(lead=lead)]
    assert labels[:4] == ["Call", "Call", "Day 1: Call", "Day 1: WhatsApp"]


def test_steps_move_to_the_next_allowed_minute_across_a_dst_change(post_lead, rep_a1):
    # Good Friday before the spring-forward night (Sunday 2027-03-28 02:00 → 03:00 in Berlin).
    with time_machine.travel(dt.datetime(2027, 3, 26, 17, 0, tzinfo=BERLIN), tick=False):
        lead = post_lead()

    # A public holiday: the first call waits for Saturday 08:00 and the cadence counts from
    # it; +2 h is Saturday 10:00 (still CET).
    assert due(lead, "first_call") == dt.datetime(2027, 3, 27, 7, 0, tzinfo=UTC)
    assert due(lead, "step:2") == dt.datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
    # Day 1 is the Sunday of the change (Easter Sunday), when customers are not contacted,
    # and Monday is Easter Monday, a public holiday: Tuesday 08:00 CEST. Day 2's call, held
    # up to the same Tuesday, is that call.
    assert due(lead, "step:3") == dt.datetime(2027, 3, 30, 6, 0, tzinfo=UTC)
    assert not Attempt.objects.filter(lead=lead, key="step:5").exists()
    # Day 4, 09:00 local is now 07:00 UTC, not 08:00.
    assert due(lead, "step:6") == dt.datetime(2027, 3, 31, 7, 0, tzinfo=UTC)


def test_the_dispatcher_rings_a_due_step_once(post_lead, rep_a1):
    lead = post_lead()
    later = lead.received_at + dt.timedelta(minutes=15, seconds=1)

    with time_machine.travel(later, tick=False):
        assert dispatch_due() == 1
        assert dispatch_due() == 0

    step = Attempt.objects.get(lead=lead, key="step:1")
    assert step.status == "in_progress"
    assert Call.objects.filter(attempt=step).count() == 1
    lead.refresh_from_db()
    assert lead.attempt_count >= 2


def test_a_due_call_outside_opening_hours_waits_for_the_next_allowed_minute(post_lead, rep_a1):
    lead = post_lead()
    step = Attempt.objects.get(lead=lead, key="step:1")
    # People pushed it to the evening: 20:30 is outside contact hours.
    evening = dt.datetime(2026, 11, 23, 20, 30, tzinfo=BERLIN)
    Attempt.objects.filter(pk=step.pk).update(due_at=evening)

    with time_machine.travel(evening, tick=False):
        dispatch_due()

    step.refresh_from_db()
    assert step.status == "scheduled"
    assert step.due_at == dt.datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)
    assert not Call.objects.filter(attempt=step).exists()


def test_the_watchdog_rings_a_lead_whose_enqueue_was_lost(post_lead, rep_a1):
    lead = post_lead(execute=False)  # the on-commit enqueue never happens
    assert not Call.objects.filter(lead=lead).exists()

    with time_machine.travel(lead.received_at + dt.timedelta(seconds=10), tick=False):
        dispatch_due()
    assert not Call.objects.filter(lead=lead).exists()
    with time_machine.travel(lead.received_at + dt.timedelta(seconds=31), tick=False):
        dispatch_due()
        dispatch_due()

    assert Call.objects.filter(lead=lead).count() == 1
    assert agent_leg(lead).salesperson == rep_a1
    # The rest of the chain ran too.
    assert Attempt.objects.filter(lead=lead, key__startswith="step:").count() == 11


def test_a_lead_lost_in_the_queue_cancels_the_rest_at_the_next_claim(post_lead, rep_a1):
    lead = post_lead()
    lead.move_to(Lead.Status.LOST, reason="bought elsewhere", by=rep_a1)

    with time_machine.travel(lead.received_at + dt.timedelta(minutes=16), tick=False):
        dispatch_due()

    assert pending(lead) == ["recovery"]
    step = Attempt.objects.get(lead=lead, key="step:1")
    assert (step.status, step.reason) == ("cancelled", "lost")
    assert not Call.objects.filter(attempt=step).exists()
    recovery = Attempt.objects.get(lead=lead, key="recovery")
    lead.refresh_from_db()
    assert recovery.due_at == lead.lost_at + dt.timedelta(days=14)
    assert lead.events.filter(kind=LeadEvent.Kind.ATTEMPT, data__reason="lost").exists()


def test_the_bdc_makes_one_recovery_call_for_a_lost_lead(post_lead, rep_a1):
    lead = post_lead()
    # A recovery call is marketing: only with the customer's explicit yes to it.
    consent_record(
        lead=lead,
        by=rep_a1,
        channel="phone",
        given=True,
        purpose="marketing",
        note="Asked us to call again in two weeks",
    )
    lead.move_to(Lead.Status.LOST, reason="no budget", by=rep_a1)
    with time_machine.travel(lead.received_at + dt.timedelta(minutes=16), tick=False):
        dispatch_due()

    with time_machine.travel(lead.lost_at + dt.timedelta(days=14, minutes=1), tick=False):
        dispatch_due()
        dispatch_due()

    recovery = Attempt.objects.get(lead=lead, key="recovery")
    [call] = Call.objects.filter(attempt=recovery)
    assert call.is_bdc and call.to == "+4940123459"
    lead.refresh_from_db()
    assert lead.status == "contacting"

    # Nobody answers at the BDC: the lead is lost again, and no second recovery follows.
    from followup.voice.callbacks import voice_status

    voice_status(call_id=call.pk, params={"CallStatus": "no-answer"})
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == ("lost", "no contact")
    assert pending(lead) == []


def test_day_8_marks_the_lead_lost_for_no_contact(post_lead, rep_a1):
    lead = post_lead()
    Attempt.objects.filter(lead=lead, key__startswith="step:").exclude(key="step:11").update(
        status="done"
    )

    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, 5, tzinfo=BERLIN), tick=False):
        dispatch_due()

    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == ("lost", "no contact")
    assert pending(lead) == ["recovery"]


def test_opting_out_cancels_everything_with_the_reason(post_lead, rep_a1):
    lead = post_lead()
    lead.opt_out(via="phone")

    with time_machine.travel(lead.received_at + dt.timedelta(minutes=16), tick=False):
        dispatch_due()

    assert pending(lead) == []
    assert set(
        Attempt.objects.filter(lead=lead, key__startswith="step:").values_list("reason", flat=True)
    ) == {"opted out"}


def test_message_steps_go_through_the_messaging_contract(post_lead, rep_a1):
    lead = post_lead()

    with time_machine.travel(dt.datetime(2026, 11, 24, 9, 0, 1, tzinfo=BERLIN), tick=False):
        dispatch_due()

    whatsapp = Attempt.objects.get(lead=lead, key="step:4")
    assert whatsapp.status == "done"
    # The messaging half took it: one WhatsApp in the outbox for exactly this attempt.
    assert (
        OutboundMessage.objects.filter(
            lead=lead, channel="whatsapp", attempt_id=whatsapp.pk
        ).count()
        == 1
    )


def test_a_repeat_inquiry_restarts_the_first_call(post_lead, rep_a1):
    lead = post_lead()
    again = post_lead(external_id="web-99999", message="Noch da?")

    assert again.pk == lead.pk
    firsts = Attempt.objects.filter(lead=lead, key__startswith="first_call")
    assert firsts.count() == 2
    assert Call.objects.filter(lead=lead, leg="agent").count() == 2


def test_click_to_call_rings_the_requesting_salesperson(
    post_lead, rep_a1, rep_a2, django_capture_on_commit_callbacks
):
    lead = post_lead()
    with django_capture_on_commit_callbacks(execute=True):
        engine.engine().call_now(lead=lead, by=rep_a2)

    call = Call.objects.filter(lead=lead).order_by("-id").first()
    assert (call.salesperson, call.to, call.attempt.purpose) == (rep_a2, rep_a2.phone, "click")


def test_test_leads_are_never_contacted(post_lead, rep_a1):
    lead = Lead.objects.create(
        dealer=rep_a1.dealer, source="api", phone="+491711234567", is_test=True
    )
    from leads.signals import lead_received

    lead_received.send(sender=Lead, lead=lead, repeat=False)
    assert not Attempt.objects.filter(lead=lead).exists()
    assert timezone.now()


def test_a_lead_lost_after_being_reached_still_gets_its_recovery_call(post_lead, rep_a1):
    lead = post_lead()
    lead.move_to(Lead.Status.REACHED, by=rep_a1)
    Attempt.objects.filter(lead=lead).update(status="cancelled")
    lead.move_to(Lead.Status.LOST, reason="bought elsewhere", by=rep_a1)

    from followup.dispatch import recovery_sweep

    assert recovery_sweep() == 1
    assert recovery_sweep() == 0
    assert pending(lead) == ["recovery"]
