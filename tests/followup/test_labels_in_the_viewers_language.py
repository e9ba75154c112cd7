"""The engine stores codes; each person reads next actions, outcomes and reasons in their own
language (German and English), on the queue, the lead page and the sandbox."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from followup.models import Attempt, Call
from followup.progress import attempt_gate
from tests.conftest import BERLIN, make_lead
from tests.followup.conftest import agent_leg


def press(client, call: Call, action: str, **data):
    return client.post(reverse("followup:sandbox-act", args=[call.pk, action]), data)


@pytest.fixture
def as_rep(client, rep_a1):
    def login(language: str):
        client.force_login(rep_a1.user)
        client.cookies["django_language"] = language
        return client

    return login


def reach_by_phone(client, lead) -> None:
    """Answer the whisper, press 1, the customer answers and talks for 45 s."""
    call = agent_leg(lead)
    press(client, call, "answer")
    press(client, call, "press-1")
    customer = Call.objects.get(parent=call)
    press(client, customer, "answer")
    press(client, customer, "talk", seconds=45)


def test_the_engine_stores_codes_not_english_text(post_lead, rep_a1):
    lead = post_lead()

    lead.refresh_from_db()
    assert lead.next_action == "call"
    labels = dict(Attempt.objects.filter(lead=lead).values_list("key", "label"))
    assert labels["first_call"] == "first_call"
    assert labels["step:3"] == "call:d1"
    assert labels["step:9"] == "close_whatsapp:d7"
    assert labels["step:11"] == "lost:d8"


@pytest.mark.parametrize(
    ("language", "shown"),
    [("de", "Als Nächstes: Tag 1: Anrufen · "), ("en", "Next: Day 1: Call · ")],
)
def test_the_queue_shows_the_next_action_in_the_viewers_language(
    as_rep, dealer_a, rep_a1, language, shown
):
    make_lead(
        dealer_a,
        rep_a1,
        status="contacting",
        received_at=dt.datetime(2026, 11, 22, 9, 0, tzinfo=BERLIN),
        next_action="call:d1",
        next_action_due_at=dt.datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN),
    )

    page = as_rep(language).get(reverse("queue")).content.decode()

    assert shown in page


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("de", ["Tag 1: Anrufen", "Tag 1: WhatsApp", "Tag 7: E-Mail: Anfrage schließen?"]),
        ("en", ["Day 1: Call", "Day 1: WhatsApp", "Day 7: Email: close the request?"]),
    ],
)
def test_the_lead_page_lists_upcoming_attempts_in_the_viewers_language(
    post_lead, as_rep, language, shown
):
    lead = post_lead()

    page = as_rep(language).get(reverse("lead", args=[lead.pk])).content.decode()

    for label in shown:
        assert label in page


def test_next_actions_stored_as_english_text_before_the_codes_are_still_translated(
    as_rep, dealer_a, rep_a1
):
    make_lead(
        dealer_a,
        rep_a1,
        status="contacting",
        received_at=dt.datetime(2026, 11, 22, 9, 0, tzinfo=BERLIN),
        next_action="Day 2: Call",
        next_action_due_at=dt.datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN),
    )

    assert "Als Nächstes: Tag 2: Anrufen · " in as_rep("de").get(reverse("queue")).content.decode()


@pytest.mark.parametrize(
    ("language", "lead_page", "sandbox"),
    [
        (
            "de",
            [
                "Gespräch mit dem Kunden nach 45 s beendet: erreicht",
                "Abgebrochen (erreicht): ",
                "Tag 8: Als verloren markieren",
            ],
            ["Gespräch mit dem Kunden nach 45 s beendet: erreicht", "Abgebrochen (erreicht)"],
        ),
        (
            "en",
            [
                "Call with the customer ended after 45 s: reached",
                "Cancelled (reached): ",
                "Day 8: Mark lost: no contact",
            ],
            ["Call with the customer ended after 45 s: reached", "Cancelled (reached)"],
        ),
    ],
)
def test_call_outcomes_and_cancel_reasons_read_in_the_viewers_language(
    post_lead, as_rep, language, lead_page, sandbox
):
    lead = post_lead()
    client = as_rep(language)
    reach_by_phone(client, lead)

    page = client.get(reverse("lead", args=[lead.pk])).content.decode()
    for text in lead_page:
        assert text in page
    page = client.get(reverse("followup:sandbox")).content.decode()
    for text in sandbox:
        assert text in page
    if language == "de":
        assert "(reached)" not in page and ": reached" not in page


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("de", "An das BDC übergeben (vom Verkäufer weitergegeben)."),
        ("en", "Handed to the BDC (handed on by the salesperson)."),
    ],
)
def test_the_bdc_handover_reason_reads_in_the_viewers_language(post_lead, as_rep, language, shown):
    lead = post_lead()
    client = as_rep(language)
    call = agent_leg(lead)
    press(client, call, "answer")
    press(client, call, "press-3")

    page = client.get(reverse("lead", args=[lead.pk])).content.decode()

    assert shown in page


def test_an_attempt_moved_outside_hours_says_why_in_german(post_lead, as_rep):
    lead = post_lead()
    step = Attempt.objects.get(lead=lead, key="step:2")  # a call at 12:00 today
    Attempt.objects.filter(pk=step.pk).update(
        due_at=dt.datetime(2026, 11, 23, 21, 0, tzinfo=BERLIN)
    )

    with time_machine.travel(dt.datetime(2026, 11, 23, 21, 0, tzinfo=BERLIN), tick=False):
        attempt_gate(attempt=Attempt.objects.select_related("lead__dealer").get(pk=step.pk))
        page = as_rep("de").get(reverse("lead", args=[lead.pk])).content.decode()

    assert "auf die nächste erlaubte Zeit verschoben (außerhalb der Geschäftszeiten)" in page
