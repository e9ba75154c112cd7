"""Hostile or unlucky webhook requests: never a 500, and the request is always on record."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError

from leads.intake import services as intake_services
from leads.intake import views as intake_views
from leads.intake.pipeline import intake_record_replay
from leads.models import IntakeRecord, Lead
from tests.conftest import sample_lead
from tests.leads.intake.test_webhook_intake import post


def test_nul_characters_in_text_are_dropped_and_the_lead_is_stored(client, dealer_a, rep_a1):
    lead = sample_lead(first_name="An\u0000na", message="Noch da?\u0000")
    lead["tracking\u0000"] = {"utm": "x\u0000y"}

    response = post(client, "nord", lead)

    assert response.status_code == 201
    stored = Lead.objects.get()
    assert (stored.first_name, stored.message) == ("Anna", "Noch da?")
    assert stored.raw_payload["tracking"] == {"utm": "xy"}


def test_lone_surrogates_are_shown_as_replacement_characters(client, dealer_a, rep_a1):
    body = json.dumps(sample_lead()).replace("Anna", "An\\ud800na").replace("Golf", "Go\\udfffl")

    response = post(client, "nord", body)

    assert response.status_code == 201
    stored = Lead.objects.get()
    assert stored.first_name == "An\ufffdna"
    assert stored.vehicle_model == "Go\ufffdl"


@pytest.mark.parametrize(
    "value", ["2026-02-30T10:00:00+01:00", "2026-13-01T10:00:00", "2026-11-23T25:00:00"]
)
def test_an_impossible_date_is_422_with_the_field_named(client, dealer_a, rep_a1, value):
    response = post(client, "nord", sample_lead(received_at=value))

    assert response.status_code == 422
    assert "received_at" in response.json()["errors"]
    assert IntakeRecord.objects.get().outcome == "rejected"


@pytest.mark.parametrize("header", ["sha256=ä", "sha256=\u00ff\u00fe", "sha256=" + "é" * 64])
def test_a_non_ascii_signature_header_is_401(client, dealer_a, rep_a1, header):
    dealer_a.signing_secret = "s3cret"
    dealer_a.save(update_fields=["signing_secret_encrypted"])

    response = post(client, "nord", sample_lead(), HTTP_X_LEADFLOW_SIGNATURE=header)

    assert response.status_code == 401
    assert IntakeRecord.objects.get().status_code == 401
    assert not Lead.objects.exists()


def test_a_failure_after_the_record_exists_leaves_it_failed_and_replayable(
    client, dealer_a, rep_a1, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(intake_services, "_lead_store", broken)
    response = post(client, "nord", sample_lead())

    assert response.status_code == 503
    assert response["Retry-After"]
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.pk) == ("failed", response.json()["intake_id"])
    assert "disk full" in record.error
    assert record.replayable
    monkeypatch.undo()
    assert intake_record_replay(record=record).lead == Lead.objects.get()


def test_a_failure_outside_the_intake_steps_is_recorded_too(client, dealer_a, monkeypatch):
    def broken(request):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "hostile header")

    monkeypatch.setattr(intake_views, "bearer_token", broken)
    response = post(client, "nord", sample_lead())

    assert response.status_code == 503
    record = IntakeRecord.objects.get()
    assert record.outcome == "failed" and record.replayable


def test_a_database_failure_before_the_record_exists_is_503_so_the_portal_retries(
    client, dealer_a, monkeypatch
):
    def broken(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(intake_views, "intake_record_start", broken)
    response = post(client, "nord", sample_lead())

    assert response.status_code == 503
    assert response["Retry-After"]
    assert not IntakeRecord.objects.exists()


@pytest.mark.parametrize("name", ["google-ads-webhook", "meta-webhook"])
def test_the_other_portals_are_guarded_the_same_way(client, dealer_a, monkeypatch, name):
    from django.urls import reverse

    def broken(**kwargs):
        raise OperationalError("gone")

    monkeypatch.setattr(intake_views, "intake_record_start", broken)
    response = client.post(
        reverse(name, args=["nord"]), data=b"{}", content_type="application/json"
    )

    assert response.status_code == 503
