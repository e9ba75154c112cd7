from __future__ import annotations

from followup.policy.models import Suppression
from followup.policy.person import person_key
from followup.policy.suppression import (
    suppression_add,
    suppression_channels,
    suppression_check,
    suppression_lift,
)


def test_person_key_is_the_same_for_every_spelling_of_a_number_and_address(dealer_a):
    a = person_key(dealer=dealer_a, phone="0171 1234567", email=" Anna.Schmidt@Example.DE ")
    b = person_key(dealer=dealer_a, phone="+49 (0)171 1234567", email="anna.schmidt@example.de")
    assert a == b
    assert "1234567" not in a.phone_hash and len(a.phone_hash) == 64


def test_person_key_depends_on_the_configured_key(dealer_a, settings):
    first = person_key(dealer=dealer_a, phone="+491711234567")
    settings.LEADFLOW_PERSON_KEY = "another key"
    assert person_key(dealer=dealer_a, phone="+491711234567") != first


def test_an_opt_out_by_phone_suppresses_the_person_also_by_email(dealer_a):
    added = suppression_add(
        dealer=dealer_a,
        phone="+491711234567",
        email="anna@example.de",
        reason="opt_out",
        source="stop_keyword",
    )
    assert added == 8  # two identifiers × four channels
    hit = suppression_check(dealer=dealer_a, channel="email", email="ANNA@example.de")
    assert hit is not None and hit.source == "stop_keyword"
    assert suppression_check(dealer=dealer_a, channel="phone", phone="0171 1234567")


def test_suppression_add_twice_keeps_the_first_entry(dealer_a):
    suppression_add(dealer=dealer_a, phone="+491711234567", reason="opt_out", source="provider")
    again = suppression_add(
        dealer=dealer_a, phone="+491711234567", reason="erasure", source="erasure"
    )
    assert again == 0
    assert set(Suppression.objects.values_list("source", flat=True)) == {"provider"}


def test_suppression_is_per_dealer_and_per_channel(dealer_a, dealer_b):
    suppression_add(
        dealer=dealer_a,
        email="anna@example.de",
        channels=["email"],
        reason="withdrawn",
        source="salesperson",
    )
    assert suppression_check(dealer=dealer_a, channel="email", email="anna@example.de")
    assert suppression_check(dealer=dealer_a, channel="whatsapp", email="anna@example.de") is None
    assert suppression_check(dealer=dealer_b, channel="email", email="anna@example.de") is None


def test_entries_hold_no_personal_data(dealer_a):
    suppression_add(
        dealer=dealer_a,
        phone="+491711234567",
        email="anna@example.de",
        reason="erasure",
        source="erasure",
    )
    for row in Suppression.objects.values():
        text = " ".join(str(v) for v in row.values())
        assert "1711234567" not in text and "anna" not in text


def test_lifting_keeps_the_entry_and_allows_contact_again(dealer_a, rep_a1):
    suppression_add(dealer=dealer_a, phone="+491711234567", reason="opt_out", source="salesperson")
    lifted = suppression_lift(
        dealer=dealer_a,
        phone="+491711234567",
        channels=["phone"],
        by=rep_a1,
        reason="customer asked to be called back",
    )
    assert lifted == 1
    assert suppression_check(dealer=dealer_a, channel="phone", phone="+491711234567") is None
    assert set(suppression_channels(dealer=dealer_a, phone="+491711234567")) == {
        "sms",
        "whatsapp",
        "email",
    }
    assert Suppression.objects.count() == 4
    # A new opt-out after the lift is a new entry.
    assert (
        suppression_add(
            dealer=dealer_a,
            phone="+491711234567",
            channels=["phone"],
            reason="opt_out",
            source="stop_keyword",
        )
        == 1
    )
