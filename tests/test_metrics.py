"""GET /metrics: what a monitoring system scrapes to see whether the two-minute promise holds."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from followup.models import Attempt, Call
from followup.services import first_call_create
from leadflow.celery import app as celery_app
from leads.models import Lead
from tests.conftest import TOKEN_A, sample_lead
from tests.followup.conftest import agent_leg, fake_twilio, post_lead, twilio_post  # noqa: F401 (fixtures)

METRICS_TOKEN = "metrics-token-for-tests"


@pytest.fixture
def scrape(client, settings):
    settings.LEADFLOW_METRICS_TOKEN = METRICS_TOKEN

    def scrape() -> dict[tuple[str, tuple], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return scrape


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def post(client, token: str = TOKEN_A, **overrides):
    return client.post(
        reverse("lead-webhook", args=["nord"]),
        data=sample_lead(**overrides),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_metrics_are_off_without_a_token_and_refuse_a_wrong_one(client, db, settings):
    settings.LEADFLOW_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404

    settings.LEADFLOW_METRICS_TOKEN = METRICS_TOKEN
    refused = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guessed")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics").status_code == 401


def test_webhook_deliveries_are_counted_and_timed_by_outcome(client, rep_a1, scrape):
    before = scrape()

    assert post(client).status_code == 201
    assert post(client).status_code == 200  # the portal sent it twice
    assert post(client, token="wrong").status_code == 401
    assert post(client, customer={"first_name": "Nobody"}).status_code == 422

    after = scrape()
    for outcome, n in (("created", 1), ("accepted", 1), ("refused", 1), ("rejected", 1)):
        labels = {"endpoint": "leads", "outcome": outcome}
        counted = value(after, "leadflow_intake_requests_total", **labels)
        assert counted - value(before, "leadflow_intake_requests_total", **labels) == n
        timed = value(after, "leadflow_intake_seconds_count", **labels)
        assert timed - value(before, "leadflow_intake_seconds_count", **labels) == n


def test_a_lead_waiting_past_two_minutes_for_its_first_ring_is_counted_per_dealer(
    client, rep_a1, scrape, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        assert post(client).status_code == 201  # the broker "lost" the chain: nothing rings
    lead = Lead.objects.get()

    samples = scrape()
    assert value(samples, "leadflow_ring_sla_due_24h", dealer="nord") == 1
    assert value(samples, "leadflow_ring_sla_waiting", dealer="nord") == 0

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=150), tick=False):
        samples = scrape()
    assert value(samples, "leadflow_ring_sla_waiting", dealer="nord") == 1
    assert value(samples, "leadflow_ring_sla_missed_24h", dealer="nord") == 1
    # The watchdog's deadline passed without a dispatcher: the lag shows it.
    assert value(samples, "leadflow_dispatcher_lag_seconds") >= 100
    assert value(samples, "leadflow_attempts_overdue", channel="phone") == 1

    Lead.objects.filter(pk=lead.pk).update(first_ring_at=timezone.now() + dt.timedelta(seconds=20))
    samples = scrape()
    assert value(samples, "leadflow_ring_sla_waiting", dealer="nord") == 0
    assert value(samples, "leadflow_ring_sla_missed_24h", dealer="nord") == 0


def test_after_hours_first_call_is_clocked_from_its_window(client, rep_a1, scrape):
    lead = Lead.objects.create(
        dealer=rep_a1.dealer,
        source="website",
        external_id="late-evening",
        received_at=timezone.now() - dt.timedelta(hours=10),
    )
    attempt = first_call_create(lead=lead, repeat=False)
    # The next window opened 5 minutes ago; the phone rang 60 s into it: within the promise.
    Attempt.objects.filter(pk=attempt.pk).update(
        due_at=timezone.now() - dt.timedelta(minutes=5), status=Attempt.Status.DONE
    )
    Lead.objects.filter(pk=lead.pk).update(
        first_ring_at=timezone.now() - dt.timedelta(minutes=4), status=Lead.Status.CONTACTING
    )

    samples = scrape()
    assert value(samples, "leadflow_ring_sla_due_24h", dealer="nord") == 1
    assert value(samples, "leadflow_ring_sla_missed_24h", dealer="nord") == 0
    assert value(samples, "leadflow_attempts_due_1h", channel="phone", status="done") == 1


def test_first_ring_latency_and_provider_errors_by_code(
    client,
    rep_a1,
    rep_a2,
    fake_twilio,  # noqa: F811
    post_lead,  # noqa: F811
    scrape,
):
    before = scrape()
    fake_twilio.fail_next("Calls.json", status=400, code=21211, message="Invalid 'To' Phone Number")

    lead = post_lead()  # the first salesperson's number is refused; the next one rings
    leg = agent_leg(lead, 1)
    rang = twilio_post(client, fake_twilio, "voice-status", leg, CallStatus="ringing")
    assert rang.status_code == 204

    after = scrape()
    errors = {"provider": "twilio", "channel": "voice", "kind": "permanent", "code": "21211"}
    assert (
        value(after, "leadflow_provider_errors_total", **errors)
        - value(before, "leadflow_provider_errors_total", **errors)
        == 1
    )
    rings = value(after, "leadflow_first_ring_seconds_count") - value(
        before, "leadflow_first_ring_seconds_count"
    )
    assert rings == 1
    within_two_minutes = value(after, "leadflow_first_ring_seconds_bucket", le="120.0") - value(
        before, "leadflow_first_ring_seconds_bucket", le="120.0"
    )
    assert within_two_minutes == 1
    assert Call.objects.filter(lead=lead, status="failed").count() == 1


def test_queue_depth_per_celery_queue_comes_from_the_broker(client, db, scrape):
    with celery_app.connection_for_write() as conn:
        for queue in ("default", "ring"):
            conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
            conn.default_channel.queue_purge(queue)
    # Published, never consumed: no worker runs in this test.
    celery_app.send_task("followup.dispatch", queue="ring")
    celery_app.send_task("followup.dispatch", queue="ring")
    try:
        samples = scrape()
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge("ring")

    assert value(samples, "leadflow_broker_up") == 1
    assert value(samples, "leadflow_database_up") == 1
    assert value(samples, "leadflow_celery_queue_length", queue="ring") == 2
    assert value(samples, "leadflow_celery_queue_length", queue="default") == 0
