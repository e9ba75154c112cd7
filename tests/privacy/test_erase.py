"""Erase a person: nothing of them is left in any table or log line; the funnel still counts."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from followup.channels.texts import FIRST_PURPOSES
from followup.models import Call, InboundMessage, MessageTemplate, OutboundMessage
from leads.models import AccessLog, IntakeRecord, Lead
from leads.reports.funnel import funnel_report
from leads.reports.weeks import Week
from privacy.erase import person_erase
from privacy.models import ErasureReceipt
from tests.privacy.support import (
    EMAIL,
    NOTE,
    PHONE_WRITTEN,
    REPLY,
    UNMATCHED_REPLY,
    database_dump,
    logs_as_configured,
    post_lead,
    rejected_adf,
    traces,
    whatsapp_from,
)


def leave_traces_everywhere(client, admin_client, manager_a) -> Lead:
    """The person writes before their lead exists, sends a lead, gets called and messaged,
    replies, is refused once by a portal, a salesperson notes their number, an admin edits
    the lead, the manager opens it."""
    assert whatsapp_from(client, UNMATCHED_REPLY).status_code == 200
    assert post_lead(client).status_code == 201
    assert rejected_adf(client).status_code in (400, 422)
    lead = Lead.objects.get()
    assert whatsapp_from(client, REPLY).status_code == 200
    client.force_login(manager_a.user)
    client.post(reverse("lead-action", args=[lead.pk, "note"]), {"note": NOTE})
    client.get(reverse("lead", args=[lead.pk]))
    admin_client.post(
        reverse("admin:leads_lead_change", args=[lead.pk]),
        {
            **{f: getattr(lead, f) for f in ("dealer", "source", "first_name", "phone", "email")},
            "dealer": lead.dealer_id,
            "last_name": "Schmidt-Berg",
            "received_at_0": "2026-11-23",
            "received_at_1": "10:00:00",
            "preferred_channel": "whatsapp",
            "status": lead.status,
            "attempt_count": lead.attempt_count,
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    return lead


@pytest.mark.django_db(transaction=True)
def test_after_erasure_no_table_and_no_log_line_holds_the_person(
    client, admin_client, dealer_a, rep_a1, manager_a, messages_twilio
):
    fake = messages_twilio
    # Real Twilio sends a first WhatsApp only with a template Meta approved.
    for n, purpose in enumerate(FIRST_PURPOSES):
        MessageTemplate.objects.create(
            dealer=dealer_a,
            channel="whatsapp",
            purpose=purpose,
            language="de",
            label="Erste Nachricht",
            body="Hallo {first_name}, danke für Ihre Anfrage. {dealer}",
            content_sid=f"HX{n:032d}",
            variables=["first_name", "dealer"],
        )
    with logs_as_configured() as logs:
        lead = leave_traces_everywhere(client, admin_client, manager_a)
        assert Call.objects.filter(lead=lead).exists()
        assert OutboundMessage.objects.filter(lead=lead, provider="twilio").exists()
        assert InboundMessage.objects.filter(lead=None).count() == 1
        assert traces(database_dump())  # the dump sees the person before the erasure
        at_twilio = {
            *Call.objects.exclude(sid=None).values_list("sid", flat=True),
            *OutboundMessage.objects.filter(provider="twilio").values_list(
                "provider_sid", flat=True
            ),
            *InboundMessage.objects.values_list("provider_sid", flat=True),
        } - {""}

        receipt = person_erase(dealer=dealer_a, phone=PHONE_WRITTEN, by=manager_a.user)

    left = traces(database_dump())
    assert left == [], [line for line in database_dump().splitlines() if traces(line)]
    assert traces(logs.getvalue()) == []
    # Twilio was asked to delete every call leg and message it holds of the person.
    deleted = {
        r.path.rsplit("/", 1)[-1].removesuffix(".json")
        for r in fake.requests
        if r.method == "DELETE"
    }
    assert len(at_twilio) >= 3 and deleted == at_twilio
    assert receipt.provider_pending == [] and receipt.provider_deleted == len(deleted)
    assert receipt.counts["leads"] == 1
    assert receipt.counts["inbound_messages"] == 2
    assert receipt.counts["intake_records"] == 2
    assert receipt.counts["audit_entries"] >= 1


def test_the_funnel_of_that_week_still_counts_the_erased_lead(client, dealer_a, rep_a1, manager_a):
    post_lead(client)
    lead = Lead.objects.get()
    lead.move_to(Lead.Status.REACHED)
    week = Week.containing(lead.received_at.date(), dealer_a.tz)
    before = funnel_report(dealer=dealer_a, week=week).total

    person_erase(dealer=dealer_a, email=EMAIL, by=manager_a.user)

    after = funnel_report(dealer=dealer_a, week=week).total
    assert (after.gross, after.reached) == (before.gross, before.reached) == (1, 1)
    lead.refresh_from_db()
    assert (lead.first_name, lead.phone, lead.email, lead.message) == ("", "", "", "")
    assert lead.erased_at is not None and lead.reached_at is not None


def test_erasing_twice_is_harmless_and_another_dealer_is_untouched(
    client, dealer_a, dealer_b, rep_a1, rep_b1, manager_a
):
    post_lead(client)
    other = Lead.objects.create(dealer=dealer_b, phone="+491711234567", email=EMAIL, source="web")

    first = person_erase(dealer=dealer_a, phone=PHONE_WRITTEN, email=EMAIL, by=manager_a.user)
    second = person_erase(dealer=dealer_a, phone=PHONE_WRITTEN, email=EMAIL, by=manager_a.user)

    assert first.counts["leads"] == 1 and second.counts["leads"] == 0
    other.refresh_from_db()
    assert (other.phone, other.email) == ("+491711234567", EMAIL)


def test_the_command_erases_and_prints_the_receipt(client, dealer_a, rep_a1, capsys):
    post_lead(client)

    call_command("person_erase", "--dealer", "nord", "--phone", PHONE_WRITTEN, "--by", "dpo")

    out = capsys.readouterr().out
    assert "1 lead(s) anonymised" in out
    receipt = ErasureReceipt.objects.get()
    assert (receipt.by_name, receipt.via) == ("dpo", "command")
    assert Lead.objects.get().phone == ""
    assert not IntakeRecord.objects.exclude(body=b"").exists()


def test_the_erase_page_names_what_will_go_and_asks_for_confirmation(
    client, dealer_a, rep_a1, manager_a
):
    post_lead(client)
    client.force_login(manager_a.user)

    page = client.post(reverse("privacy-person"), {"phone": PHONE_WRITTEN})
    assert page.status_code == 200
    assert "Anna Schmidt" in page.content.decode()
    unconfirmed = client.post(reverse("privacy-erase"), {"phone": PHONE_WRITTEN})
    assert unconfirmed.status_code == 400
    assert Lead.objects.get().phone != ""

    done = client.post(
        reverse("privacy-erase"), {"phone": PHONE_WRITTEN, "confirm": "on"}, follow=True
    )

    assert done.status_code == 200
    assert Lead.objects.get().phone == ""
    receipt = ErasureReceipt.objects.get()
    assert receipt.by == manager_a.user
    assert AccessLog.objects.filter(action="erase", lead=Lead.objects.get()).exists()


def test_only_managers_may_export_or_erase(client, dealer_a, rep_a1):
    post_lead(client)
    client.force_login(rep_a1.user)

    assert client.get(reverse("privacy-person")).status_code == 403
    assert (
        client.post(reverse("privacy-erase"), {"phone": PHONE_WRITTEN, "confirm": "on"}).status_code
        == 403
    )
    assert Lead.objects.get().phone != ""


def test_bad_input_is_a_clear_400(client, dealer_a, manager_a):
    client.force_login(manager_a.user)

    response = client.post(reverse("privacy-erase"), {"phone": "12", "confirm": "on"})

    assert response.status_code == 400
    assert ErasureReceipt.objects.count() == 0


def test_an_erased_lead_offers_nothing_to_do_and_refuses_actions(
    client, dealer_a, rep_a1, manager_a
):
    post_lead(client)
    lead = Lead.objects.get()
    person_erase(dealer=dealer_a, phone=PHONE_WRITTEN, by=manager_a.user)
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("lead", args=[lead.pk])).content.decode()
    refused = client.post(reverse("lead-action", args=[lead.pk, "call"]), follow=True)

    assert "data was erased (" in page and "Call now" not in page
    assert "nothing more can be done here" in refused.content.decode()
    assert not Call.objects.exists()


def test_the_bdc_never_gets_a_recovery_call_for_an_erased_lead(client, dealer_a, rep_a1, manager_a):
    from followup.dispatch import recovery_sweep
    from followup.models import Attempt

    post_lead(client)
    person_erase(dealer=dealer_a, phone=PHONE_WRITTEN, by=manager_a.user)

    assert recovery_sweep() == 0
    assert not Attempt.objects.exists()


def test_a_new_inquiry_from_an_erased_person_is_stored_and_contacts_nobody(
    client, dealer_a, rep_a1, manager_a, messages_twilio, django_capture_on_commit_callbacks
):
    from django.core import mail

    fake = messages_twilio
    with django_capture_on_commit_callbacks(execute=True):
        post_lead(client)
    assert fake.calls_created() and mail.outbox  # the first inquiry is followed up
    receipt = person_erase(dealer=dealer_a, phone=PHONE_WRITTEN, by=manager_a.user)
    assert receipt.suppressed
    fake.reset()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_lead(client, external_id="web-again")

    assert response.status_code == 201
    again = Lead.objects.get(external_id="web-again")
    assert (again.phone, again.email) == ("+491711234567", EMAIL)
    assert again.opted_out
    assert fake.requests == [] and mail.outbox == []
    assert not Call.objects.filter(lead=again).exists()
