"""The timeline says what happened in words: message purposes and delivery states, the demo
history's attempts, and a line repeated many times in a row shown once with its count."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from leads.demo_history import seed_history
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


@pytest.fixture
def messaged(dealer_a, rep_a1) -> Lead:
    lead = make_lead(dealer_a, rep_a1)
    for status in ("queued", "sent", "delivered"):
        lead.log(
            LeadEvent.Kind.MESSAGE,
            data={
                "channel": "email",
                "purpose": "first",
                "template": "email:first",
                "status": status,
            },
        )
    lead.log(
        LeadEvent.Kind.MESSAGE,
        data={
            "channel": "whatsapp",
            "purpose": "followup",
            "template": "whatsapp:followup",
            "status": "cancelled",
            "reason": "customer opted out",
        },
    )
    return lead


def test_message_lines_name_purpose_and_delivery_in_german(client, rep_a1, messaged):
    lines = timeline(client, rep_a1, messaged, "de")

    assert "E-Mail, erste Nachricht: zugestellt." in lines
    assert "E-Mail, erste Nachricht: gesendet." in lines
    assert "WhatsApp, Nachfassen: abgebrochen (abgemeldet)." in lines
    joined = " ".join(lines)
    assert "email:first" not in joined and "Zustellung: sent" not in joined
    assert "(first)" not in joined


def test_message_lines_in_english(client, rep_a1, messaged):
    lines = timeline(client, rep_a1, messaged, "en")

    assert "Email, first message: delivered." in lines
    assert "WhatsApp, follow-up: cancelled (opted out)." in lines


def test_the_demo_historys_attempts_are_real_lines(client, dealer_a, rep_a1, rep_a2, bdc_a):
    seed_history(dealer=dealer_a, weeks=2)
    lead = (
        Lead.objects.filter(dealer=dealer_a, assigned_to=rep_a1, attempt_count__gte=3)
        .order_by("received_at")
        .first()
    )

    lines = timeline(client, rep_a1, lead, "en")

    assert "Call attempt 1 to the customer." in lines
    assert "Call attempt 2 to the customer." in lines
    assert "Assigned to Lena Test." in lines
    for line in lines:
        assert not re.search(r"Attempt\s+by|:\s*\.$|^Call$", line), line


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


def test_the_sandbox_timeline_says_it_in_words_and_once(client, dealer_a, rep_a1, messaged):
    for _ in range(12):
        messaged.log(LeadEvent.Kind.CALL, data={"event": "retry", "error": "HTTP 503"})
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"

    page = unescape(client.get("/sandbox/").content.decode())

    assert "Message by Email (first message): delivered" in page
    assert page.count("Provider error, retrying: HTTP 503") == 1
    assert "×12" in page
