from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from leads.intake.pipeline import intake_record_replay
from leads.models import IntakeRecord, Lead, LeadEvent
from tests.conftest import TOKEN_A, TOKEN_B, sample_lead


def post(client, slug: str, body, *, token: str | None = TOKEN_A, **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(
        reverse("lead-webhook", args=[slug]), data=data, content_type="application/json", **headers
    )


def test_new_lead_is_created_and_assigned(client, dealer_a, rep_a1):
    response = post(client, "nord", sample_lead())

    assert response.status_code == 201
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert body == {
        "id": lead.pk,
        "status": "new",
        "outcome": "created",
        "assigned_to": "Lena Test",
        "bdc": False,
    }
    assert lead.phone == "+491711234567"
    assert lead.email == "anna.schmidt@example.de"
    assert lead.preferred_channel == "whatsapp"
    assert (lead.vehicle_make, lead.vehicle_model, lead.vehicle_year) == (
        "Volkswagen",
        "Golf",
        2023,
    )
    assert str(lead.vehicle_price) == "21990.00"
    assert lead.consent_whatsapp is True
    assert lead.sources == ["website"]
    assert lead.assigned_to == rep_a1
    assert list(lead.events.values_list("kind", flat=True)) == ["received", "assigned"]
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.status_code, record.lead) == ("created", 201, lead)
    assert "Authorization" not in record.headers


def test_unknown_keys_are_kept_not_refused(client, dealer_a, rep_a1):
    response = post(client, "nord", sample_lead(tracking={"utm_source": "newsletter"}))

    assert response.status_code == 201
    assert Lead.objects.get().raw_payload["tracking"] == {"utm_source": "newsletter"}


def test_repeat_post_returns_same_lead(client, dealer_a, rep_a1):
    first = post(client, "nord", sample_lead())
    again = post(client, "nord", sample_lead())

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["outcome"] == "duplicate"
    assert Lead.objects.count() == 1
    assert list(IntakeRecord.objects.values_list("outcome", flat=True).order_by("id")) == [
        "created",
        "duplicate",
    ]


def test_repeat_inquiry_joins_the_open_lead_and_keeps_its_salesperson(
    client, dealer_a, rep_a1, rep_a2
):
    first = post(client, "nord", sample_lead())
    second = post(
        client,
        "nord",
        sample_lead(source="mobile.de", external_id="m-77", phone="+49 171 1234567", email=""),
    )

    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["outcome"] == "joined"
    lead = Lead.objects.get()
    assert lead.assigned_to == rep_a1
    assert lead.sources == ["website", "mobile.de"]
    assert lead.source == "website"
    assert lead.events.filter(kind=LeadEvent.Kind.REPEAT_INQUIRY, data__source="mobile.de").exists()


def test_missing_token_is_401_and_recorded(client, dealer_a):
    response = post(client, "nord", sample_lead(), token=None)

    assert response.status_code == 401
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.status_code) == ("rejected", 401)
    assert Lead.objects.count() == 0


def test_another_dealers_token_is_refused(client, dealer_a, dealer_b, rep_a1):
    response = post(client, "nord", sample_lead(), token=TOKEN_B)

    assert response.status_code == 401
    assert Lead.objects.count() == 0


def test_unknown_dealer_is_404(client, db):
    response = post(client, "nowhere", sample_lead())

    assert response.status_code == 404
    assert IntakeRecord.objects.get().dealer_slug == "nowhere"


def test_signature_is_required_when_the_dealer_has_a_secret(client, dealer_a, rep_a1):
    dealer_a.signing_secret = "s3cret"
    dealer_a.save()
    body = json.dumps(sample_lead()).encode()
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()

    unsigned = post(client, "nord", body)
    forged = post(client, "nord", body, HTTP_X_LEADFLOW_SIGNATURE="sha256=" + "0" * 64)
    signed = post(client, "nord", body, HTTP_X_LEADFLOW_SIGNATURE=good)

    assert (unsigned.status_code, forged.status_code, signed.status_code) == (401, 401, 201)


def test_malformed_json_is_400_with_the_reason(client, dealer_a):
    response = post(client, "nord", b'{"customer": ')

    assert response.status_code == 400
    assert "not JSON" in response.json()["error"]
    assert bytes(IntakeRecord.objects.get().body) == b'{"customer": '


def test_a_json_array_is_400(client, dealer_a):
    assert post(client, "nord", b"[1, 2]").status_code == 400


def test_body_over_256_kb_is_413(client, dealer_a):
    lead = sample_lead(message="x" * (300 * 1024))
    response = post(client, "nord", lead)

    assert response.status_code == 413
    record = IntakeRecord.objects.get()
    assert record.body_size > 256 * 1024
    assert record.outcome == "rejected"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12", "email": ""}, "customer.phone"),
        ({"phone": "", "email": ""}, "customer"),
        ({"preferred_channel": "pigeon"}, "customer.preferred_channel"),
        ({"email": "not-an-address", "phone": ""}, "customer.email"),
    ],
)
def test_unusable_values_are_422_with_per_field_errors(client, dealer_a, change, field):
    response = post(client, "nord", sample_lead(**change))

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert IntakeRecord.objects.get().errors == response.json()["errors"]
    assert Lead.objects.count() == 0


def test_rejected_record_replays_into_a_lead_after_its_body_is_fixed(client, dealer_a, rep_a1):
    post(client, "nord", sample_lead(phone="12", email=""))
    record = IntakeRecord.objects.get()
    assert record.outcome == "rejected"

    record.body = json.dumps(sample_lead(phone="0171 7654321", email="")).encode()
    record.save()
    result = intake_record_replay(record=record)

    record.refresh_from_db()
    assert result.lead.phone == "+491717654321"
    assert (record.outcome, record.lead, record.replay_count) == ("created", result.lead, 1)


def test_replay_from_the_admin(admin_client, client, dealer_a, rep_a1):
    post(client, "nord", b"{broken")
    record = IntakeRecord.objects.get()
    record.body = json.dumps(sample_lead()).encode()
    record.save()

    response = admin_client.post(
        reverse("admin:leads_intakerecord_changelist"),
        {"action": "replay", "_selected_action": [record.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert Lead.objects.get().intake_records.get() == record


def test_intake_announces_the_lead_only_after_commit(
    client, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(client, "nord", sample_lead())

    lead = Lead.objects.get()
    assert not lead.events.filter(kind=LeadEvent.Kind.FOLLOWUP_STARTED).exists()
    # The follow-up's start, and the push to the salesperson's phone beside it.
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert lead.events.filter(kind=LeadEvent.Kind.FOLLOWUP_STARTED).count() == 1


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"n": ' + b"9" * 5000 + b"}"])
def test_pathological_json_is_400_not_500(client, dealer_a, body):
    assert post(client, "nord", body).status_code == 400
