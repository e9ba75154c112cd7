"""One timeline renderer for the lead page and the sandbox: every kind, every shape, no 500."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from leads.models import Lead, LeadEvent
from leads.timeline import event_line
from tests.conftest import make_lead

K = LeadEvent.Kind

# Every shape the engine, people and earlier versions wrote, and a few nobody wrote on purpose.
SHAPES: list[tuple[str, object, str]] = [
    (K.RECEIVED, {"source": "mobile.de"}, "Lead received from mobile.de."),
    (K.REPEAT_INQUIRY, {"source": "website"}, "The customer asked again via website."),
    (K.ASSIGNED, {"to": 3, "name": "Lena Test"}, "Assigned to Lena Test."),
    (K.ASSIGNED, {"to": 3, "actor": None}, "Assigned"),  # demo history: no name
    (K.BDC, {"reason": "after hours"}, "Handed to the BDC (after hours)."),
    (K.FOLLOWUP_STARTED, {"repeat": False, "trigger": 1}, "Automatic follow-up started."),
    (K.STATUS, {"from": "new", "to": "contacting"}, "Status: New → Contacting."),
    (
        K.STATUS,
        {"from": "contacting", "to": "reached", "evidence": {"kind": "note", "note": "x"}},
        "Evidence: the salesperson's note.",
    ),
    # The row behind the 500: a reply stored its evidence as a bare string.
    (
        K.STATUS,
        {"from": "contacting", "to": "reached", "evidence": "reply", "channel": "email"},
        "Evidence: a reply from the customer.",
    ),
    (
        K.STATUS,
        {"from": "contacting", "to": "reached", "evidence": {"kind": "inbound", "inbound": 4}},
        "Evidence: a reply from the customer.",
    ),
    (K.STATUS, {"from": "contacting", "to": "reached", "call": 7, "duration": 80}, "connected"),
    (K.STATUS, {"from": "contacting", "to": "reached", "evidence": None}, "Status: Contacting"),
    (K.STATUS, {"from": "contacting", "to": "reached", "evidence": ["odd"]}, "Status:"),
    (K.STATUS, {"to": "lost", "reason": "no contact"}, "Reason: no contact."),
    (
        K.STATUS,
        {"from": "reached", "to": "appointment", "evidence": {"kind": "customer_booking"}},
        "Evidence: booked by the customer on the booking page.",
    ),
    (K.CALL, {"call": 1, "event": "dialing", "to": "Lena Test", "sid": "CA1"}, "Calling Lena"),
    (K.CALL, {"call": 1, "event": "ringing", "to": "Lena Test"}, "Lena Test's phone rings"),
    (K.CALL, {"call": 1, "event": "answered", "to": "Lena Test"}, "Lena Test answered"),
    (K.CALL, {"call": 1, "event": "voicemail", "to": "Lena Test"}, "Voicemail of Lena Test"),
    (K.CALL, {"call": 1, "event": "pressed", "digits": "1", "by": "Lena"}, "Lena pressed 1"),
    (K.CALL, {"call": 2, "event": "escalated", "from": "Lena", "to": "BDC"}, "Passed from Lena"),
    (K.CALL, {"call": 3, "event": "customer ringing"}, "The customer's phone rings"),
    (K.CALL, {"call": 3, "event": "customer answered"}, "The customer answered"),
    (
        K.CALL,
        {"call": 3, "event": "customer call ended", "duration": 95, "outcome": "reached"},
        "ended after 95 s: reached",
    ),
    (K.CALL, {"call": 1, "event": "retry", "error": "Twilio 20429"}, "retrying: Twilio 20429"),
    (K.CALL, {"call": 1, "event": "failed", "to": "Lena", "reason": "bad"}, "Could not call"),
    (K.CALL, {"call": 1, "event": "unknown", "error": "ReadTimeout"}, "checking before calling"),
    (K.CALL, {"call": 1, "event": "no-answer", "to": "Lena", "duration": 0}, "Lena did not answer"),
    (K.CALL, {"call": 1, "event": "busy", "to": "Lena"}, "Lena was busy"),
    (K.CALL, {"call": 1, "event": "completed", "to": "Lena", "duration": None}, "Call with Lena"),
    (K.CALL, {"call": 1, "event": "canceled", "to": "Lena"}, "Call to Lena cancelled"),
    (K.CALL, {"call": 1, "event": "stopped", "reason": "reached"}, "Ringing stopped: reached"),
    (K.CALL, {"call": 1, "event": "adopted", "sid": "CA1"}, "Found the call"),
    (K.CALL, {"call": 1, "event": "given up", "to": "Lena", "reason": "x"}, "Could not confirm"),
    (K.CALL, {"attempt": 9, "outcome": "nobody to ring"}, "Call attempt: nobody to ring"),
    (K.CALL, {"attempt": 9, "outcome": "failed", "reason": "Twilio 21211"}, "(Twilio 21211)"),
    (K.CALL, {"outcome": "completed", "duration": 95, "bridged": True}, "duration 1:35"),
    (K.CALL, {"attempt": 1, "actor": None}, "Call attempt 1 to the customer."),  # demo history
    (K.CALL, {"call": 1, "event": "something new"}, "Call"),
    (K.CALL, {"event": "dialing"}, "Calling ?"),
    (K.MESSAGE, {"channel": "whatsapp", "template": "first", "status": "delivered"}, "WhatsApp"),
    (K.MESSAGE, {"purpose": "appointment", "status": "not_sent", "reason": "no channel"}, "sent"),
    (K.INBOUND, {"channel": "email", "text": "Ja, Samstag"}, "Reply from the customer (Email)"),
    (K.INBOUND, {"channel": "whatsapp", "stop": True, "sid": "SM1"}, "Reply from the customer"),
    (K.ATTEMPT, {"cancelled": ["call:d1", "email:d2"], "reason": "reached"}, "Day 1: Call"),
    (K.ATTEMPT, {"cancelled": "call:d1", "reason": "opted out"}, "Cancelled (opted out)"),
    (K.ATTEMPT, {"moved": "first_call", "to": "x", "reason": "outside hours"}, "First call"),
    (K.ATTEMPT, {"scheduled": "recovery", "due_at": "2026-11-30T10:00:00+00:00"}, "BDC recovery"),
    (K.ATTEMPT, {"scheduled": "recovery", "due_at": "not a date"}, "not a date"),
    (K.ATTEMPT, {"attempt": 2, "actor": None}, "Call attempt 2 to the customer."),  # demo history
    (K.NOTE, {}, "Note"),
    (K.OUTCOME, {"outcome": "no_answer"}, "Call logged: no answer."),
    (K.OPTED_OUT, {"via": "whatsapp"}, "The customer opted out (stop word by WhatsApp)."),
    (K.OPTED_OUT, {"via": "somewhere new"}, "The customer opted out (somewhere new)."),
    (
        K.POLICY,
        {"allowed": False, "action": "first_call", "channel": "phone", "rule": "no_consent"},
        "First call not made: the customer refused phone contact.",
    ),
    (K.POLICY, {"allowed": True, "action": "message", "channel": "email"}, "Email allowed"),
    (K.POLICY, {}, "not made"),
    (K.CONSENT, {"channel": "whatsapp", "given": True, "purpose": "reply"}, "Consent to"),
    (K.CONSENT, {"channel": "phone", "given": False}, "Consent to phone withdrawn."),
    (K.POSSIBLE_OPT_OUT, {"inbound": 3}, "may be an opt-out"),
    (K.POSSIBLE_OPT_OUT, {"resolved": "dismissed"}, "Not an opt-out"),
    (K.APPOINTMENT, {"at": "2026-11-28T11:00:00+01:00"}, "Appointment on"),
    (K.APPOINTMENT, {"at": None, "moved_from": 12}, "Appointment on"),
    (K.APPOINTMENT, {"at": "2026-11-28T11:00:00+01:00", "by_customer": True}, "Booked by the"),
    (K.ERASED, {}, "Personal data erased"),
    # Rows whose data is not a mapping at all, and a kind this version does not know.
    (K.CALL, "a string", "Call"),
    (K.STATUS, ["a", "list"], "Status changed"),
    (K.INBOUND, None, "Reply from customer"),
    ("kind_from_the_future", {"x": 1}, "kind_from_the_future"),
]


@pytest.mark.parametrize(("kind", "data", "expected"), SHAPES)
def test_every_event_kind_and_shape_reads_as_one_line(dealer_a, kind, data, expected):
    lead = make_lead(dealer_a)
    event = LeadEvent(lead=lead, dealer=dealer_a, kind=kind, data=data)

    with translation.override("en"):
        line = event_line(event)

    assert expected in line
    with translation.override("de"):
        assert event_line(event)


def test_every_kind_has_a_line_of_its_own(dealer_a):
    lead = make_lead(dealer_a)
    covered = {kind for kind, _data, _expected in SHAPES}
    assert set(K.values) <= covered
    for kind in K.values:
        assert event_line(LeadEvent(lead=lead, dealer=dealer_a, kind=kind, data={}))


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"
    return client


def test_lead_page_after_a_customer_reply_stored_as_text_shows_the_reply(lena, dealer_a, rep_a1):
    lead = make_lead(dealer_a, rep_a1)
    lead.log(K.INBOUND, note="Ja, Samstag passt", data={"channel": "email", "inbound": 1})
    lead.move_to(Lead.Status.REACHED, data={"evidence": "reply", "channel": "email", "inbound": 1})

    response = lena.get(reverse("lead", args=[lead.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Evidence: a reply from the customer." in html
    assert "Ja, Samstag passt" in html


def test_lead_page_renders_every_shape_on_one_timeline(lena, dealer_a, rep_a1):
    lead = make_lead(dealer_a, rep_a1)
    for kind, data, _expected in SHAPES:
        lead.log(kind, data=data)

    for language in ("en", "de"):
        lena.cookies["django_language"] = language
        response = lena.get(reverse("lead", args=[lead.pk]))
        assert response.status_code == 200


def test_sandbox_uses_the_same_lines(client, dealer_a, manager_a):
    lead = make_lead(dealer_a)
    lead.log(K.CALL, data={"call": 1, "event": "ringing", "to": "Lena Test"})
    lead.log(K.STATUS, data={"from": "contacting", "to": "reached", "evidence": "reply"})
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "en"

    html = client.get(reverse("followup:sandbox")).content.decode()

    assert "Lena Test&#x27;s phone rings" in html or "Lena Test's phone rings" in html
    assert "Evidence: a reply from the customer." in html


def test_every_lead_of_the_demo_history_opens(client, db, settings):
    settings.LEADFLOW_DEMO_TOKEN = ""
    from django.core.management import call_command

    from dealers.models import Salesperson

    call_command("seed_demo", "--history", "1", stdout=None)
    manager = Salesperson.objects.get(role=Salesperson.Role.MANAGER, dealer__slug="demo")
    client.force_login(manager.user)

    leads = list(Lead.objects.filter(dealer=manager.dealer).values_list("pk", flat=True))
    assert leads
    for pk in leads:
        assert client.get(reverse("lead", args=[pk])).status_code == 200
