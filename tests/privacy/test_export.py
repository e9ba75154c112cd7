"""Export a person's data: everything the lead page showed, as JSON and as a readable page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from django.urls import reverse

from leads.models import AccessLog, Lead
from tests.privacy.support import EMAIL, MESSAGE, NOTE, PHONE_WRITTEN, post_lead

# The lead page's sections about the person (the action forms around them are not data).
SECTIONS = ("h-summary", "h-customer", "h-vehicle", "h-next", "h-timeline")


class SectionText(HTMLParser):
    """The text pieces inside the <section>s labelled by SECTIONS, headings and times aside."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside a wanted section: its nesting depth
        self.skip = 0
        self.pieces: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += tag != "br"
            self.skip += tag in ("h2", "time", "dt")
        elif tag == "section" and attrs.get("aria-labelledby") in SECTIONS:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag != "br":
            self.depth -= 1
            self.skip -= tag in ("h2", "time", "dt")

    def handle_data(self, data):
        if self.depth and not self.skip:
            for piece in data.split("·"):
                if piece.strip(" \n:—"):
                    self.pieces.append(" ".join(piece.split()))


def shown(html: str) -> list[str]:
    parser = SectionText()
    parser.feed(html)
    return parser.pieces


def text_of(html: str) -> str:
    return " ".join(html.replace("<br>", " ").split())


def rich_lead(client, manager_a) -> Lead:
    post_lead(client)
    lead = Lead.objects.get()
    client.force_login(manager_a.user)
    client.post(reverse("lead-action", args=[lead.pk, "note"]), {"note": NOTE})
    client.post(
        reverse("lead-action", args=[lead.pk, "outcome"]), {"outcome": "reached", "note": "Rückruf"}
    )
    return lead


def test_the_export_holds_everything_the_lead_page_showed(client, dealer_a, rep_a1, manager_a):
    lead = rich_lead(client, manager_a)
    page = client.get(reverse("lead", args=[lead.pk])).content.decode()
    pieces = shown(page)
    assert "Anna Schmidt" in pieces and MESSAGE in pieces and NOTE in " ".join(pieces)

    export_page = client.post(reverse("privacy-export", args=["html"]), {"phone": PHONE_WRITTEN})
    download = client.post(reverse("privacy-export", args=["json"]), {"email": EMAIL})

    exported = text_of(export_page.content.decode())
    missing = [piece for piece in pieces if piece not in exported]
    assert missing == []
    data = json.loads(download.content)
    assert download["Content-Disposition"].startswith("attachment;")
    [item] = data["leads"]
    assert (item["phone"], item["email"], item["message"]) == ("+491711234567", EMAIL, MESSAGE)
    assert NOTE in [event["note"] for event in item["timeline"]]
    assert data["intake_requests"][0]["body"].startswith("{")
    assert set(
        AccessLog.objects.filter(action="export").values_list("detail__format", flat=True)
    ) == {"html", "json"}


def test_the_export_page_is_in_the_managers_language(client, dealer_a, rep_a1, manager_a):
    lead = rich_lead(client, manager_a)
    client.cookies["django_language"] = "de"

    export_page = client.post(reverse("privacy-export", args=["html"]), {"phone": PHONE_WRITTEN})
    page = client.get(reverse("lead", args=[lead.pk])).content.decode()

    exported = text_of(export_page.content.decode())
    assert "Personenbezogene Daten" in exported
    assert [piece for piece in shown(page) if piece not in exported] == []


def test_the_export_page_in_english_dates_the_next_attempts_like_the_rest(
    client, dealer_a, rep_a1, manager_a
):
    rich_lead(client, manager_a)
    client.cookies["django_language"] = "en"

    export_page = client.post(reverse("privacy-export", args=["html"]), {"phone": PHONE_WRITTEN})

    exported = text_of(export_page.content.decode())
    assert "Next attempts" in exported
    assert not re.findall(r"\b\d{1,2}\.\d{1,2}\.", exported)
