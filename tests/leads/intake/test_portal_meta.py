"""Meta Lead Ads: verify-token handshake, signed notifications, leads fetched from Graph."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from leads.intake.meta import MetaFetchFailed
from leads.intake.pipeline import intake_record_replay
from leads.models import IntakeRecord, Lead
from tests.leads.intake.portals import meta_lead, meta_notification, meta_signature, post_meta


def verify(client, slug: str, **params):
    return client.get(reverse("meta-webhook", args=[slug]), params)


def test_handshake_echoes_the_challenge_for_the_dealers_verify_token(client, dealer_a):
    response = verify(
        client,
        "nord",
        **{
            "hub.mode": "subscribe",
            "hub.verify_token": "meta-verify-a",
            "hub.challenge": "1158201444",
        },
    )

    assert response.status_code == 200
    assert response.content == b"1158201444"
    record = IntakeRecord.objects.get()
    assert b"meta-verify-a" not in bytes(record.body)


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "meta-verify-b", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "meta-verify-a", "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
    ids=["another-dealers-token", "empty-token", "wrong-mode", "nothing"],
)
def test_handshake_is_refused_otherwise(client, dealer_a, dealer_b, params):
    response = verify(client, "nord", **params)

    assert response.status_code == 403
    assert b"1" not in response.content
    assert IntakeRecord.objects.get().outcome == "rejected"


def test_notification_fetches_the_lead_and_creates_it_assigned(
    client, dealer_a, rep_a1, meta_graph
):
    meta_graph.add_lead(meta_lead("111"))

    response = post_meta(client, "nord", meta_notification("111"))

    assert response.status_code == 201, response.json()
    lead = Lead.objects.get()
    assert (lead.source, lead.external_id, lead.sources) == ("meta", "111", ["meta"])
    assert (lead.first_name, lead.last_name) == ("Anna", "Schmidt")
    assert (lead.phone, lead.email) == ("+4917112345678", "anna.schmidt@example.de")
    assert lead.vehicle_model == "ID.4 Pro"
    assert lead.assigned_to == rep_a1
    [fetch] = meta_graph.requests
    assert (fetch.path, fetch.access_token) == ("/v21.0/111", "page-token-a")
    record = IntakeRecord.objects.get()
    assert (record.format, record.outcome, record.external_id) == ("meta", "created", "111")


def test_duplicate_notification_is_one_lead_and_no_second_fetch(
    client, dealer_a, rep_a1, meta_graph
):
    meta_graph.add_lead(meta_lead("111"))

    first = post_meta(client, "nord", meta_notification("111"))
    again = post_meta(client, "nord", meta_notification("111"))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["outcome"] == "duplicate"
    assert Lead.objects.count() == 1
    assert len(meta_graph.fetched("111")) == 1
    assert list(IntakeRecord.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "created",
        "duplicate",
    ]


def test_one_notification_with_two_leads_makes_two_leads(client, dealer_a, rep_a1, meta_graph):
    meta_graph.add_lead(meta_lead("111"))
    meta_graph.add_lead(
        meta_lead("222", name="Ben Weber", email="ben@example.de", phone="+4915112345679")
    )

    response = post_meta(client, "nord", meta_notification("111", "222"))

    assert response.status_code == 201
    assert sorted(Lead.objects.values_list("external_id", flat=True)) == ["111", "222"]
    assert IntakeRecord.objects.count() == 1


def test_fetch_failure_is_503_replayable_and_replay_after_recovery_makes_the_lead(
    client, dealer_a, rep_a1, meta_graph
):
    meta_graph.add_lead(meta_lead("111"))
    meta_graph.fail_next(503)

    response = post_meta(client, "nord", meta_notification("111"))

    assert response.status_code == 503
    assert Lead.objects.count() == 0
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.replayable) == ("failed", True)
    assert "503" in record.error

    result = intake_record_replay(record=record)

    assert result.outcome == "created"
    record.refresh_from_db()
    assert (record.outcome, record.lead) == ("created", Lead.objects.get())
    assert len(meta_graph.fetched("111")) == 2


def test_meta_retry_after_a_failure_makes_the_lead_once(client, dealer_a, rep_a1, meta_graph):
    meta_graph.add_lead(meta_lead("111"))
    meta_graph.fail_next(500)

    failed = post_meta(client, "nord", meta_notification("111"))
    retried = post_meta(client, "nord", meta_notification("111"))
    again = post_meta(client, "nord", meta_notification("111"))

    assert (failed.status_code, retried.status_code, again.status_code) == (503, 201, 200)
    assert Lead.objects.count() == 1


def test_graph_unreachable_is_503_and_replayable(client, dealer_a, rep_a1, meta_graph):
    meta_graph.add_lead(meta_lead("111"))
    with override_settings(META_GRAPH_API_URL="http://127.0.0.1:9/v21.0"):
        response = post_meta(client, "nord", meta_notification("111"))

    assert response.status_code == 503
    record = IntakeRecord.objects.get()
    assert record.outcome == "failed"
    with (
        override_settings(META_GRAPH_API_URL="http://127.0.0.1:9/v21.0"),
        pytest.raises(MetaFetchFailed),
    ):
        intake_record_replay(record=record)
    record.refresh_from_db()
    assert (record.outcome, record.replay_count) == ("failed", 1)

    assert intake_record_replay(record=record).outcome == "created"


def test_notification_without_leadgen_changes_is_200_and_ignored(client, dealer_a, meta_graph):
    body = b'{"object": "page", "entry": [{"id": "1", "time": 1, "changes": []}]}'

    response = post_meta(client, "nord", body)

    assert response.status_code == 200
    assert IntakeRecord.objects.get().outcome == "ignored"
    assert meta_graph.requests == []


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrency is proven on PostgreSQL (CI)"
)
@pytest.mark.django_db(transaction=True)
def test_ten_copies_of_a_notification_at_once_make_one_lead(
    live_server, rep_a1, meta_graph, tasks_stay_queued
):
    meta_graph.add_lead(meta_lead("111"))
    body = meta_notification("111")
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body)}

    def send(_: int) -> int:
        url = f"{live_server.url}/hooks/nord/meta/"
        return requests.post(url, data=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(send, range(10)))

    assert sorted(codes) == [200] * 9 + [201]
    assert Lead.objects.count() == 1
    assert IntakeRecord.objects.filter(outcome="duplicate").count() == 9
    assert connection.vendor == "postgresql"


def test_redelivered_batch_with_one_new_lead_fetches_only_the_new_one(
    client, dealer_a, rep_a1, meta_graph
):
    meta_graph.add_lead(meta_lead("111"))
    meta_graph.add_lead(
        meta_lead("222", name="Ben Weber", email="ben@example.de", phone="+4915112345679")
    )
    post_meta(client, "nord", meta_notification("111"))

    response = post_meta(client, "nord", meta_notification("222", "111"))

    assert response.status_code == 201
    assert [r.leadgen_id for r in meta_graph.requests] == ["111", "222"]
    record = IntakeRecord.objects.order_by("pk").last()
    assert (record.outcome, record.lead.external_id) == ("created", "222")
