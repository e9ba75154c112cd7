"""The one gate: consent, suppression, quiet hours, holidays — and the record it keeps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from followup.dispatch import dispatch_due
from followup.models import Attempt, CadenceStep, Call, ContactDecision, HoursRule
from followup.policy.gate import contact_decide
from followup.policy.suppression import suppression_add
from leads.engine import EngineUnavailable, engine
from leads.labels import policy_line
from leads.models import Lead, LeadEvent
from tests.conftest import BERLIN
from tests.followup.conftest import pending

NEW_YORK = ZoneInfo("America/New_York")


def decisions(lead: Lead) -> list[tuple[str, bool, str]]:
    return list(
        ContactDecision.objects.filter(lead=lead)
        .order_by("id")
        .values_list("action", "allowed", "rule")
    )


def test_a_no_calls_lead_gets_email_and_no_call_at_twilio(post_lead, fake_twilio, rep_a1):
    lead = post_lead(consent={"phone": False, "email": True, "whatsapp": False})

    assert fake_twilio.calls_created() == []
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna.schmidt@example.de"]
    lead.refresh_from_db()
    assert lead.message_only is True
    assert ("first_call", False, "no_consent") in decisions(lead)
    assert ("message", True, "allowed") in decisions(lead)
    # Nobody is rung for it later either: the cadence has no calls.
    assert not Attempt.objects.pending().filter(lead=lead, channel="phone").exists()


def test_unknown_consent_is_never_yes(post_lead, fake_twilio, rep_a1):
    lead = post_lead(consent={}, preferred_channel="email")

    assert fake_twilio.calls_created() == []
    lead.refresh_from_db()
    assert (lead.consent_phone, lead.consent_email, lead.consent_whatsapp) == (None, True, None)
    assert ("first_call", False, "consent_unknown") in decisions(lead)
    # Asking to be answered by email is the customer's yes to email.
    assert len(mail.outbox) == 1


def test_every_call_and_message_that_left_has_a_stored_allow_decision(post_lead, rep_a1):
    lead = post_lead()

    for call in Call.objects.filter(lead=lead, leg="customer"):
        assert ContactDecision.objects.filter(call_id=call.pk, allowed=True).exists()
    first = Attempt.objects.get(lead=lead, key="first_call")
    assert ContactDecision.objects.filter(attempt_id=first.pk, allowed=True).exists()
    for message in lead.outbound_messages.exclude(status="cancelled"):
        assert ContactDecision.objects.filter(message_id=message.pk, allowed=True).exists()
    decision = ContactDecision.objects.filter(lead=lead, action="first_call").get()
    assert decision.consent_state == "yes"
    assert decision.consent_evidence["source"] == "portal"
    assert decision.hours["customer_tz"] == "Europe/Berlin"


def test_a_new_inquiry_from_a_suppressed_person_is_stored_and_contacts_nobody(
    post_lead, fake_twilio, dealer_a, rep_a1
):
    suppression_add(
        dealer=dealer_a, phone="+49 171 1234567", reason="opt_out", source="stop_keyword"
    )

    lead = post_lead(external_id="web-2", email="someone-else@example.de")

    lead.refresh_from_db()
    assert lead.opted_out
    assert fake_twilio.calls_created() == [] and fake_twilio.messages_created() == []
    assert mail.outbox == []
    assert not Attempt.objects.filter(lead=lead).exists()


def test_a_new_inquiry_from_a_suppressed_email_contacts_nobody(
    post_lead, fake_twilio, dealer_a, rep_a1
):
    suppression_add(
        dealer=dealer_a, email="ANNA.SCHMIDT@example.de", reason="opt_out", source="salesperson"
    )

    lead = post_lead(external_id="web-3", phone="0171 7654321")

    assert lead.events.filter(kind=LeadEvent.Kind.OPTED_OUT).exists()
    assert fake_twilio.calls_created() == [] and mail.outbox == []


@pytest.mark.no_clock
def test_a_us_number_is_not_called_before_eight_its_time(post_lead, rep_a1, dealer_a):
    # 13:05 in Berlin, 07:05 in New York: the dealer is open, the customer still asleep.
    at = dt.datetime(2026, 11, 24, 7, 5, tzinfo=NEW_YORK)
    with time_machine.travel(at, tick=False):
        lead = post_lead(phone="+1 212 555 0142", received_at=at.isoformat())

        assert not Call.objects.filter(lead=lead).exists()
        first = Attempt.objects.get(lead=lead, key="first_call")
        assert first.status == "scheduled"
        assert first.due_at == dt.datetime(2026, 11, 24, 8, 0, tzinfo=NEW_YORK)
        denied = ContactDecision.objects.get(lead=lead, action="first_call")
        assert (denied.rule, denied.hours["customer_local"]) == ("quiet_hours", "07:05")
        assert denied.hours["customer_tz"] == "America/New_York"

    eight = dt.datetime(2026, 11, 24, 8, 0, tzinfo=NEW_YORK)
    with time_machine.travel(eight + dt.timedelta(seconds=30), tick=False):
        dispatch_due()
    calls = Call.objects.filter(lead=lead, leg="agent")
    assert calls.exists() and all(call.created_at >= eight for call in calls)


@pytest.mark.no_clock
def test_christmas_is_skipped_and_the_call_moves_to_the_next_working_day(post_lead, rep_a1):
    at = dt.datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN)
    with time_machine.travel(at, tick=False):
        lead = post_lead(received_at=at.isoformat())

    assert not Call.objects.filter(lead=lead).exists()
    decision = ContactDecision.objects.get(lead=lead, action="first_call")
    assert decision.rule == "holiday" and "Weihnacht" in decision.hours["detail"]
    first = Attempt.objects.get(lead=lead, key="first_call")
    # 26 December is a holiday too, the 27th a Sunday: Monday the 28th at 08:00.
    assert first.due_at == dt.datetime(2026, 12, 28, 8, 0, tzinfo=BERLIN)
    # The first answer by email still goes out: the customer is waiting for it.
    assert len(mail.outbox) == 1


@pytest.mark.no_clock
def test_a_german_state_holiday_counts_only_in_its_state(post_lead, rep_a1, dealer_a):
    at = dt.datetime(2027, 1, 6, 10, 0, tzinfo=BERLIN)  # Epiphany: Bavaria, not Berlin
    with time_machine.travel(at, tick=False):
        berlin = contact_decide(
            lead=post_lead(received_at=at.isoformat()),
            channel="phone",
            action="call",
            record=False,
        )
        dealer_a.subdivision = "BY"
        dealer_a.save(update_fields=["subdivision"])
        lead = Lead.objects.get(external_id="web-10293")
        lead.dealer.refresh_from_db()
        bavaria = contact_decide(lead=lead, channel="phone", action="call", record=False)

    assert berlin.allowed
    assert (bavaria.allowed, bavaria.rule) == (False, "holiday")
    assert "Drei" in bavaria.hours["detail"] or "Epiphan" in bavaria.hours["detail"]


@pytest.mark.no_clock
def test_the_dealers_closed_day_is_skipped(post_lead, rep_a1, dealer_a):
    dealer_a.closed_days = ["2026-11-24"]
    dealer_a.save(update_fields=["closed_days"])
    at = dt.datetime(2026, 11, 24, 11, 0, tzinfo=BERLIN)
    with time_machine.travel(at, tick=False):
        lead = post_lead(received_at=at.isoformat())

    assert ContactDecision.objects.get(lead=lead, action="first_call").rule == "closed_day"
    assert Attempt.objects.get(lead=lead, key="first_call").due_at == dt.datetime(
        2026, 11, 25, 8, 0, tzinfo=BERLIN
    )


@pytest.mark.no_clock
def test_manual_call_and_email_on_sunday_night_are_refused_with_the_reason(
    post_lead, rep_a1, fake_twilio
):
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN), tick=False):
        lead = post_lead()
    calls_before = len(fake_twilio.calls_created())
    outbox_before = len(mail.outbox)
    with (
        time_machine.travel(dt.datetime(2026, 11, 29, 23, 30, tzinfo=BERLIN), tick=False),
        translation.override("en"),
    ):
        with pytest.raises(EngineUnavailable) as call_refused:
            engine().call_now(lead=lead, by=rep_a1)
        with pytest.raises(EngineUnavailable) as mail_refused:
            engine().send_message(lead=lead, by=rep_a1, channel="email", template="email:first")

    assert "quiet hours at the customer's (23:30 there)" in str(call_refused.value)
    assert "Allowed from" in str(call_refused.value)
    assert "Email not made" in str(mail_refused.value)
    assert len(fake_twilio.calls_created()) == calls_before
    assert len(mail.outbox) == outbox_before
    refused = ContactDecision.objects.filter(lead=lead, by=rep_a1, allowed=False)
    assert set(refused.values_list("action", flat=True)) == {"click_to_call", "manual_message"}


@pytest.mark.no_clock
def test_override_only_where_the_dealer_allows_it_and_logged(post_lead, rep_a1, dealer_a):
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN), tick=False):
        lead = post_lead()
    late = dt.datetime(2026, 11, 23, 21, 30, tzinfo=BERLIN)
    with time_machine.travel(late, tick=False):
        with pytest.raises(EngineUnavailable):
            engine().call_now(lead=lead, by=rep_a1, override=True)

        dealer_a.policy_override = True
        dealer_a.save(update_fields=["policy_override"])
        lead = Lead.objects.select_related("dealer").get(pk=lead.pk)
        engine().call_now(lead=lead, by=rep_a1, override=True)

    allowed = ContactDecision.objects.get(lead=lead, action="click_to_call", allowed=True)
    assert (allowed.override, allowed.rule, allowed.by) == (True, "override", rep_a1)
    click = Attempt.objects.get(pk=allowed.attempt_id)
    assert click.requested_by == rep_a1


def test_a_cadence_step_cannot_be_any_time_for_calls_or_whatsapp(dealer_a):
    for channel in ("phone", "whatsapp"):
        step = CadenceStep(dealer=dealer_a, position=1, channel=channel, hours_rule=HoursRule.ANY)
        with pytest.raises(ValidationError):
            step.full_clean()
    CadenceStep(
        dealer=dealer_a, position=2, channel="lost", template="no contact", hours_rule="any"
    ).full_clean()


@pytest.mark.no_clock
def test_an_old_any_time_call_step_still_waits_for_the_hours(post_lead, rep_a1):
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN), tick=False):
        lead = post_lead()
    step = Attempt.objects.get(lead=lead, key="step:1")
    Attempt.objects.filter(pk=step.pk).update(
        hours_rule=HoursRule.ANY, due_at=dt.datetime(2026, 11, 23, 22, 30, tzinfo=BERLIN)
    )
    with time_machine.travel(dt.datetime(2026, 11, 23, 22, 31, tzinfo=BERLIN), tick=False):
        dispatch_due()

    step.refresh_from_db()
    assert step.status == "scheduled" and step.due_at > dt.datetime(
        2026, 11, 24, 7, 59, tzinfo=BERLIN
    )
    assert not Call.objects.filter(attempt=step).exists()


def test_the_bdc_recovery_call_needs_consent_to_marketing(post_lead, rep_a1):
    lead = post_lead()
    lead.move_to(Lead.Status.LOST, reason="no budget", by=rep_a1)
    with time_machine.travel(lead.received_at + dt.timedelta(minutes=16), tick=False):
        dispatch_due()
    with time_machine.travel(lead.received_at + dt.timedelta(days=14, hours=1), tick=False):
        dispatch_due()

    recovery = Attempt.objects.get(lead=lead, key="recovery")
    assert (recovery.status, recovery.reason) == ("cancelled", "no_marketing_consent")
    assert not Call.objects.filter(attempt=recovery).exists()


@pytest.mark.parametrize(
    ("language", "allowed", "denied"),
    [
        (
            "en",
            "WhatsApp allowed: reply to the inquiry · consent from the mobile.de form · "
            "10:04 customer's time, within the allowed hours.",
            "First call not made: no phone consent.",
        ),
        (
            "de",
            "WhatsApp erlaubt: Antwort auf die Anfrage · Einwilligung aus dem Formular von "
            "mobile.de · 10:04 Uhr Ortszeit des Kunden, innerhalb der erlaubten Zeiten.",
            "Erster Anruf nicht erfolgt: keine Einwilligung in Anrufe.",
        ),
    ],
)
def test_each_timeline_decision_line_in_the_viewers_language(language, allowed, denied):
    sent = {
        "allowed": True,
        "action": "message",
        "channel": "whatsapp",
        "purpose": "reply",
        "rule": "allowed",
        "consent": {"state": "yes", "source": "portal", "portal": "mobile.de"},
        "hours": {"customer_local": "10:04", "customer_tz": "Europe/Berlin"},
    }
    refused = {
        "allowed": False,
        "action": "first_call",
        "channel": "phone",
        "purpose": "reply",
        "rule": "consent_unknown",
        "consent": {"state": "unknown", "source": "none"},
    }
    with translation.override(language):
        assert policy_line(sent) == allowed
        assert policy_line(refused) == denied


def test_the_lead_page_shows_the_decisions_in_german_and_english(client, post_lead, rep_a1):
    lead = post_lead(consent={"phone": False, "email": True, "whatsapp": False})
    client.force_login(rep_a1.user)

    client.cookies["django_language"] = "en"
    english = client.get(f"/leads/{lead.pk}/").content.decode()
    client.cookies["django_language"] = "de"
    german = client.get(f"/leads/{lead.pk}/").content.decode()

    assert "First call not made: the customer refused phone contact." in english
    assert "Email allowed: reply to the inquiry" in english
    assert "Message lead" in english
    assert "Erster Anruf nicht erfolgt: der Kunde hat Anrufe abgelehnt." in german
    assert "E-Mail erlaubt: Antwort auf die Anfrage" in german


def test_pending_attempts_of_a_no_calls_lead_are_only_messages(post_lead, rep_a1):
    lead = post_lead(consent={"phone": False, "email": True, "whatsapp": True})

    assert all(not key.startswith("first_call") for key in pending(lead))
    assert set(Attempt.objects.pending().filter(lead=lead).values_list("channel", flat=True)) <= {
        "email",
        "whatsapp",
        "lost",
    }
