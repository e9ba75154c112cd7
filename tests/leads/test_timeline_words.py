"""The timeline says what happened in words: message purposes and delivery states, the demo
history's attempts, and a line repeated many times in a row shown once with its count."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from leads.models import LeadEvent
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

    english = " | ".join(timeline(client, rep_a1, lead, "en"))
    german = " | ".join(timeline(client, rep_a1, lead, "de"))

    assert "(first message) · delivery: sent" in english
    assert "(follow-up) · delivery: not delivered" in english
    for code in ("first_price", "followup2", "undelivered", "email:first"):
        assert code not in english
        assert code not in german
