"""Keys and signatures for Google Ads and Meta: nothing but the exact secret opens the door."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from leads.models import IntakeRecord, Lead
from tests.leads.intake.portals import (
    META_APP_SECRET,
    google_lead,
    meta_lead,
    meta_notification,
    meta_signature,
    post_google,
    post_meta,
)


def assert_unauthorised(response) -> None:
    assert response.status_code == 401
    assert Lead.objects.count() == 0
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.status_code) == ("rejected", 401)


@pytest.mark.parametrize(
    "key",
    ["wrong-key", "google-key-b", "google-key-A", "google-key-a ", "", None],
    ids=["wrong", "another-dealers", "one-altered-byte", "trailing-space", "empty", "missing"],
)
def test_google_lead_with_anything_but_the_dealers_key_is_401(
    client, dealer_a, dealer_b, rep_a1, key
):
    body = google_lead(key=key)
    if key is None:
        del body["google_key"]

    assert_unauthorised(post_google(client, "nord", body))


def test_an_empty_google_key_never_matches_a_dealer_without_one(client, dealer_a, rep_a1):
    dealer_a.google_key = ""
    dealer_a.save()

    assert_unauthorised(post_google(client, "nord", google_lead(key="")))


def test_google_lead_for_an_unknown_dealer_is_404_and_recorded(client, db):
    response = post_google(client, "nobody", google_lead())

    assert response.status_code == 404
    assert IntakeRecord.objects.get().dealer_slug == "nobody"


@pytest.fixture
def notification():
    return meta_notification("111")


def altered(text: str) -> str:
    return text[:-1] + ("0" if text[-1] != "0" else "1")


@pytest.mark.parametrize(
    "signature",
    [
        lambda body: meta_signature(body, secret="another-apps-secret"),
        lambda body: altered(meta_signature(body)),
        lambda body: meta_signature(body[:-1] + b" "),
        lambda body: meta_signature(body).removeprefix("sha256="),
        lambda body: "sha1=" + meta_signature(body).removeprefix("sha256="),
        lambda body: "",
    ],
    ids=[
        "another-secret",
        "one-altered-hex-digit",
        "signature-of-another-body",
        "no-prefix",
        "sha1-prefix",
        "missing",
    ],
)
def test_meta_notification_with_a_bad_signature_is_401_and_nothing_is_fetched(
    client, dealer_a, rep_a1, meta_graph, notification, signature
):
    meta_graph.add_lead(meta_lead("111"))
    sig = signature(notification) or "x"

    response = post_meta(client, "nord", notification, signature=sig)

    assert_unauthorised(response)
    assert meta_graph.requests == []


def test_meta_body_with_one_altered_byte_is_401(client, dealer_a, rep_a1, meta_graph):
    meta_graph.add_lead(meta_lead("111"))
    body = meta_notification("111")
    signature = meta_signature(body)
    tampered = body.replace(b'"111"', b'"112"')

    assert_unauthorised(post_meta(client, "nord", tampered, signature=signature))
    assert meta_graph.requests == []


def test_without_an_app_secret_no_meta_signature_is_valid(client, dealer_a, rep_a1, meta_graph):
    body = meta_notification("111")
    with override_settings(META_APP_SECRET=""):
        response = post_meta(client, "nord", body, signature=meta_signature(body, secret=""))

    assert_unauthorised(response)


def test_meta_leads_are_fetched_with_the_receiving_dealers_page_token(
    client, dealer_a, dealer_b, rep_a1, rep_b1, meta_graph
):
    dealer_b.meta_page_token = "page-token-b"
    dealer_b.save()
    meta_graph.add_lead(meta_lead("111"))

    response = post_meta(client, "zuid", meta_notification("111"))

    assert response.status_code == 201
    assert Lead.objects.get().dealer == dealer_b
    assert [r.access_token for r in meta_graph.requests] == ["page-token-b"]
    assert META_APP_SECRET not in json.dumps([r.path for r in meta_graph.requests])
