"""The intake record keeps the body byte for byte, so a replay of any encoding is lossless."""

from __future__ import annotations

from leads.intake.pipeline import intake_record_replay
from leads.models import IntakeRecord, Lead
from tests.leads.intake.portals import adf_document, post_adf


def test_latin1_adf_is_stored_as_received_and_replays_with_its_umlauts(client, dealer_a, rep_a1):
    body = adf_document(
        first="Jürgen",
        last="Müßig",
        email="",
        phone="",
        comments="Größe? Grüße",
        encoding="ISO-8859-1",
    )
    assert "ü".encode("latin-1") in body

    response = post_adf(client, "nord", body, content_type="application/xml")

    assert response.status_code == 422  # no contact details: rejected, kept for a fix
    record = IntakeRecord.objects.get()
    assert bytes(record.body) == body
    # An admin adds the phone number in the record's own charset and replays it.
    record.body = bytes(record.body).replace(
        b'<phone type="cellphone"></phone>', b'<phone type="cellphone">0171 1234567</phone>'
    )
    record.save()

    result = intake_record_replay(record=record)

    lead = Lead.objects.get()
    assert result.outcome == "created"
    assert (lead.first_name, lead.last_name, lead.message) == ("Jürgen", "Müßig", "Größe? Grüße")


def test_the_admin_shows_and_saves_the_body_in_its_declared_charset(admin_client, client, dealer_a):
    body = '{"customer": {"first_name": "Jürgen"'.encode("latin-1")
    client.generic(
        "POST",
        "/hooks/nord/leads/",
        data=body,
        content_type="application/json; charset=ISO-8859-1",
        HTTP_AUTHORIZATION="Bearer lf_token-of-dealer-a",
    )
    record = IntakeRecord.objects.get()
    assert record.body_text == '{"customer": {"first_name": "Jürgen"'

    page = admin_client.get(f"/admin/leads/intakerecord/{record.pk}/change/")
    assert "Jürgen" in page.content.decode()
    admin_client.post(
        f"/admin/leads/intakerecord/{record.pk}/change/",
        {"body_text": '{"customer": {"first_name": "Jürgen", "phone": "0171 1234567"}}'},
    )

    record.refresh_from_db()
    assert bytes(
        record.body
    ) == '{"customer": {"first_name": "Jürgen", "phone": "0171 1234567"}}'.encode("latin-1")
