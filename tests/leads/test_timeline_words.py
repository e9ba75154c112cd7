"""The timeline says what happened in words: message purposes and delivery states, the demo
history's attempts, and a line repeated many times in a row shown once with its count."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from leads.management.commands._demo_history import seed_history
from leads.models import Lead, LeadEvent
from tests.conftest import make_lead


def timeline(client, staff, lead, language) -> list[str]:
    client.force_login(staff.user)
    client.cookies["django_language"] = language
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    block = page[page.index('class="timeline"') :]
    block = block[: block.index("</ol>")]
    texts = re.findall(
        r'<span class="ev-text">(.*?)</span>\s*(?:<span class="ev-note|<span class="muted ev-who)',
        block,
        re.S,
    )
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", t)).split()) for t in texts]


def test_identical_lines_in_a_row_are_shown_once_with_a_count(client, dealer_a, rep_a1):
    lead = make_lead(dealer_a, rep_a1)
    start = lead.received_at
    for i in range(30):
        lead.log(
            LeadEvent.Kind.ATTEMPT,
            at=start + dt.timedelta(minutes=i + 1),
            data={"moved": "call:d1", "reason": "outside hours"},
        )

    lines = timeline(client, rep_a1, lead, "en")

    moved = [line for line in lines if "moved to the next allowed time" in line]
    assert len(moved) == 1
    assert "30 times since" in moved[0]


def test_message_lines_name_the_purpose_and_delivery_in_words(client, dealer_a, rep_a1):
    lead = make_lead(dealer_a, rep_a1)
    lead.log(
        LeadEvent.Kind.MESSAGE,
        data={"channel": "email", "purpose": "first_price", "status": "sent"},
    )
    lead.log(
        LeadEvent.Kind.MESSAGE,
        data={"channel": "whatsapp", "purpose": "followup2", "delivery": "undelivered"},
    )
    lead.log(
        LeadEvent.Kind.MESSAGE,
        data={"channel": "email", "template": "email:first", "status": "delivered"},
    )

    english = timeline(client, rep_a1, lead, "en")
    german = timeline(client, rep_a1, lead, "de")

    assert "Email, first message: sent." in english
    assert "WhatsApp, follow-up: not delivered." in english
    assert "Email, first message: delivered." in english
    assert "E-Mail, erste Nachricht: zugestellt." in german
    for code in ("first_price", "followup2", "undelivered", "email:first"):
        assert code not in " | ".join(english)
        assert code not in " | ".join(german)


def test_a_message_of_unknown_outcome_is_not_said_to_have_gone_out(client, dealer_a, rep_a1):
    lead = make_lead(dealer_a, rep_a1)
    for data in (
        {"status": "unknown", "reason": "read timeout"},
        {"status": "cancelled", "reason": "customer opted out"},
        {"status": "sent", "confirmed_by_person": True},
    ):
        lead.log(
            LeadEvent.Kind.MESSAGE,
            data={"channel": "whatsapp", "purpose": "followup", "template": "x", **data},
        )
    lead.log(
        LeadEvent.Kind.MESSAGE,
        data={"purpose": "appointment", "status": "not_sent", "reason": "no channel"},
    )

    lines = timeline(client, rep_a1, lead, "en")

    assert "WhatsApp, follow-up: outcome unknown, the provider did not confirm it." in lines
    assert "WhatsApp, follow-up: cancelled (opted out)." in lines
    assert "WhatsApp, follow-up: marked as sent after checking." in lines
    assert "Appointment confirmation: not sent (no channel)." in lines
    assert not [line for line in lines if "message sent" in line or "read timeout" in line]


def test_the_sandbox_timeline_says_it_in_words_and_once(client, dealer_a, rep_a1):
    lead = make_lead(dealer_a, rep_a1)
    lead.log(
        LeadEvent.Kind.MESSAGE,
        data={"channel": "email", "purpose": "first", "template": "email:first", "status": "sent"},
    )
    for _ in range(12):
        lead.log(LeadEvent.Kind.CALL, data={"event": "retry", "error": "HTTP 503"})
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"

    page = unescape(client.get("/sandbox/").content.decode())

    assert "Email, first message: sent." in page
    assert page.count("Provider error, retrying: HTTP 503") == 1
    assert "×12" in page
    assert "email:first" not in page


def test_the_demo_historys_attempts_are_real_lines(client, dealer_a, rep_a1, rep_a2, bdc_a):
    seed_history(dealer=dealer_a, weeks=2)
    lead = (
        Lead.objects.filter(dealer=dealer_a, assigned_to=rep_a1, attempt_count__gte=3)
        .order_by("received_at")
        .first()
    )

    english = timeline(client, rep_a1, lead, "en")
    german = timeline(client, rep_a1, lead, "de")

    assert "Call attempt 1 to the customer." in english
    assert "Call attempt 2 to the customer." in english
    assert "Anrufversuch 3 beim Kunden." in german
    assert "Assigned to Lena Test." in english
    for line in english + german:
        assert not re.search(r"\b(?:by|per) :|—\.$|^(?:Call|Anrufen)$", line), line
