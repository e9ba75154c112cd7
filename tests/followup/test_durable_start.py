"""A lead's start is durable step by step: whatever the chain did not finish, the dispatcher does."""

from __future__ import annotations

import datetime as dt

import time_machine

from followup.dispatch import dispatch_due
from followup.models import Attempt, OutboundMessage
from followup.voice import ring


def start_rows(lead) -> dict[str, str]:
    return dict(Attempt.objects.filter(lead=lead).values_list("key", "status"))


def test_the_start_is_written_with_the_lead_as_four_rows(post_lead, rep_a1):
    lead = post_lead(execute=False)

    assert start_rows(lead) == {
        "first_call": "scheduled",
        "first_email": "scheduled",
        "first_whatsapp": "scheduled",
        "cadence": "scheduled",
    }


def test_a_chain_that_broke_after_the_ring_still_sends_first_messages_and_plans_the_cadence(
    post_lead, rep_a1
):
    lead = post_lead(execute=False)
    first_call = Attempt.objects.get(lead=lead, key="first_call")
    # Only the chain's first task ran; the rest of the chain was lost with its worker.
    assert ring.ring_attempt_run(attempt_id=first_call.pk) == "dialed"

    with time_machine.travel(lead.received_at + dt.timedelta(seconds=29), tick=False):
        dispatch_due()
        assert not OutboundMessage.objects.filter(lead=lead).exists()
    with time_machine.travel(lead.received_at + dt.timedelta(seconds=31), tick=False):
        dispatch_due()

    assert sorted(OutboundMessage.objects.filter(lead=lead).values_list("channel", flat=True)) == [
        "email",
        "whatsapp",
    ]
    assert Attempt.objects.filter(lead=lead, key__startswith="step:").count() == 11
    rows = start_rows(lead)
    assert (rows["cadence"], rows["first_email"], rows["first_whatsapp"]) == ("done",) * 3
    # Lena was rung once, by the chain; the dispatcher did not ring her again. (Her sandbox
    # phone, unanswered for 30 s, may by now have passed the lead on to the next person.)
    assert lead.calls.filter(salesperson=rep_a1).count() == 1


def test_the_planning_row_is_not_shown_as_an_upcoming_action(post_lead, rep_a1):
    from leads import engine

    lead = post_lead(execute=False)

    labels = [u.label for u in engine.engine().upcoming(lead=lead)]
    assert "cadence" not in labels
    lead.refresh_from_db()
    assert lead.next_action != "cadence"


def test_a_repeat_inquiry_rings_again_and_its_planning_row_is_done(post_lead, rep_a1):
    lead = post_lead()
    again = post_lead(external_id="web-2")

    assert again.pk == lead.pk
    rows = start_rows(lead)
    assert [k for k in rows if k.startswith("cadence")] == ["cadence"] + [
        k for k in rows if k.startswith("cadence:r")
    ]
    assert all(rows[k] == "done" for k in rows if k.startswith("cadence"))
    assert lead.calls.filter(leg="agent").count() >= 2
