"""leads.labels: codes to text in the active language; anything unknown is shown as it is."""

from __future__ import annotations

import pytest
from django.utils import translation

from leads.labels import action_label, outcome_label, reason_label


@pytest.mark.parametrize(
    ("language", "code", "shown"),
    [
        ("de", "recovery", "Rückgewinnungsanruf des BDC"),
        ("en", "recovery", "BDC recovery call"),
        ("de", "close_email:d7", "Tag 7: E-Mail: Anfrage schließen?"),
        ("en", "first_whatsapp", "First WhatsApp"),
        ("de", "Second call", "Second call"),
        ("en", "", ""),
    ],
)
def test_action_codes_read_in_the_active_language(language, code, shown):
    with translation.override(language):
        assert action_label(code) == shown


def test_outcomes_and_reasons_fall_back_to_the_raw_value():
    with translation.override("de"):
        assert outcome_label("customer no-answer") == "der Kunde hat nicht angenommen"
        assert outcome_label("something new") == "something new"
        assert reason_label("lead is appointment") == "der Lead ist Termin"
        assert reason_label("HTTP 500 from provider") == "HTTP 500 from provider"
    with translation.override("en"):
        assert reason_label("outside hours") == "outside hours"
        assert reason_label("no contact") == "no contact"
