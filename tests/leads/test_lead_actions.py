from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

import leads.engine
from leads.engine import EngineUnavailable, Upcoming
from leads.models import Lead, LeadEvent
from leads.services import lead_move
from tests.conftest import make_lead


class RecordingEngine:
    """A test double of the follow-up engine's contract (leads/engine.py), recording calls."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def call_now(self, *, lead, by, override=False) -> None:
        self.calls.append(("call_now", lead.pk, by.pk))

    def send_message(self, *, lead, by, channel, template, text="", override=False) -> None:
        self.calls.append(("send_message", lead.pk, channel, template, text))

    def opt_out(self, *, lead, by) -> bool:
        from leads.services import lead_mark_opted_out

        return lead_mark_opted_out(lead=lead, by=by) is not None

    def consent_record(self, *, lead, by, channel, given, note) -> None:
        self.calls.append(("consent_record", lead.pk, channel, given, note))

    def possible_opt_out_resolve(self, *, lead, by, confirmed) -> None:
        self.calls.append(("possible_opt_out_resolve", lead.pk, confirmed))

    def channel_status(self, *, lead):
        return []

    def message_templates(self, *, lead):
        return [("first", "Erste Nachricht"), ("price", "Preisangebot")]

    def upcoming(self, *, lead):
        return [Upcoming(timezone.now() + dt.timedelta(days=1), "phone", "Second call")]

    def appointment_booked(self, *, lead, by) -> None:
        self.calls.append(("appointment_booked", lead.pk, lead.appointment_at))

    def phone_invalid(self, *, lead, by) -> bool:
        self.calls.append(("phone_invalid", lead.pk))
        return bool(lead.email)

    def messages_unsettled(self, *, lead):
        return []

    def message_settle(self, *, lead, by, message_id, how) -> bool:
        self.calls.append(("message_settle", lead.pk, message_id, how))
        return True

    def conversation(self, *, lead):
        return []


@pytest.fixture
def engine(monkeypatch) -> RecordingEngine:
    double = RecordingEngine()
    monkeypatch.setattr(leads.engine, "_engine", double)
    return double


@pytest.fixture
def no_engine(monkeypatch) -> None:
    """As when the follow-up app is not installed or not yet ready."""
    monkeypatch.setattr(leads.engine, "_engine", None)


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def lead(dealer_a, rep_a1) -> Lead:
    return make_lead(dealer_a, rep_a1, message="Ist der Golf noch da?", consent_whatsapp=True)


def act(client, lead, action, **data):
    return client.post(reverse("lead-action", args=[lead.pk, action]), data, follow=True)


def flashes(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def kinds(lead) -> list[str]:
    return list(lead.events.order_by("at", "id").values_list("kind", flat=True))


def test_lead_page_shows_customer_vehicle_message_consent_and_timeline(lena, lead, rep_a1):
    lead.log(LeadEvent.Kind.CALL, data={"outcome": "completed", "duration": 95, "bridged": True})
    lead.log(
        LeadEvent.Kind.MESSAGE,
        data={"channel": "whatsapp", "template": "first", "status": "delivered"},
    )
    lead.log(LeadEvent.Kind.INBOUND, data={"channel": "whatsapp", "text": "Ja, Samstag passt"})
    lead.log(LeadEvent.Kind.NOTE, by=rep_a1, note="Wants a test drive")

    html = lena.get(reverse("lead", args=[lead.pk])).content.decode()

    for text in (
        "Anna Schmidt",
        "+491711234567",
        "Volkswagen Golf",
        "Ist der Golf noch da?",
        "duration 1:35",
        "WhatsApp, first message: delivered.",
        "Ja, Samstag passt",
        "Wants a test drive",
        "Lena Test",
        "Lead received from website",
    ):
        assert text in html, text


def test_without_an_engine_actions_say_not_available(lena, lead, no_engine):
    response = act(lena, lead, "call")

    assert "Not available: The follow-up engine is not running." in flashes(response)
    assert "Messages are not available" in response.content.decode()


def test_lead_page_falls_back_to_next_action_without_engine(lena, lead, no_engine):
    lead.next_action = "Second call"
    lead.next_action_due_at = timezone.now() + dt.timedelta(hours=2)
    lead.save()

    assert "Second call" in lena.get(reverse("lead", args=[lead.pk])).content.decode()


def test_call_now_asks_the_engine_to_ring_me(lena, lead, engine, rep_a1):
    response = act(lena, lead, "call")

    assert engine.calls == [("call_now", lead.pk, rep_a1.pk)]
    assert response.status_code == 200


def test_engine_refusal_is_shown_as_its_message(lena, lead, monkeypatch, engine):
    def refuse(**kwargs):
        raise EngineUnavailable("Outside contact hours.")

    monkeypatch.setattr(engine, "call_now", refuse)
    assert "Not available: Outside contact hours." in flashes(act(lena, lead, "call"))


def test_send_message_from_the_dealers_templates(lena, lead, engine):
    page = lena.get(reverse("lead", args=[lead.pk])).content.decode()
    assert "Preisangebot" in page

    act(lena, lead, "message", channel="whatsapp", template="price", text="")

    assert engine.calls == [("send_message", lead.pk, "whatsapp", "price", "")]


def test_no_answer_counts_an_attempt_and_moves_new_to_contacting(lena, lead):
    act(lena, lead, "outcome", outcome="no_answer")

    lead.refresh_from_db()
    assert lead.status == "contacting"
    assert lead.attempt_count == 1 and lead.first_attempt_at is not None
    assert kinds(lead) == ["received", "outcome", "status"]


def test_reached_without_evidence_is_refused_with_a_clear_message(lena, lead):
    response = act(lena, lead, "outcome", outcome="reached")

    lead.refresh_from_db()
    assert lead.status == "new" and lead.reached_at is None
    assert any("Add a note" in m for m in flashes(response))


def test_reached_with_a_note_keeps_the_note_as_evidence(lena, lead, rep_a1):
    act(lena, lead, "outcome", outcome="reached", note="Called from my mobile, talked 5 min")

    lead.refresh_from_db()
    assert lead.status == "reached" and lead.reached_at is not None
    event = lead.events.get(kind="status")
    assert event.actor == rep_a1
    assert event.data["evidence"] == {"kind": "note", "note": "Called from my mobile, talked 5 min"}


def test_reached_after_a_connected_call_needs_no_note(lena, lead):
    call = lead.log(LeadEvent.Kind.CALL, data={"duration": 75, "bridged": True})

    act(lena, lead, "outcome", outcome="reached")

    lead.refresh_from_db()
    assert lead.status == "reached"
    assert lead.events.get(kind="status").data["evidence"]["event"] == call.pk


def test_a_short_unbridged_call_is_no_evidence(lena, lead):
    lead.log(LeadEvent.Kind.CALL, data={"duration": 5, "bridged": False})

    act(lena, lead, "outcome", outcome="reached")

    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_a_reply_is_evidence(lena, lead):
    lead.log(LeadEvent.Kind.INBOUND, data={"channel": "email", "text": "Call me"})

    act(lena, lead, "outcome", outcome="reached")

    assert Lead.objects.get(pk=lead.pk).status == "reached"


def test_booking_an_appointment_sets_it_and_asks_for_confirmation(lena, lead, engine):
    lead.log(LeadEvent.Kind.INBOUND, data={"channel": "whatsapp"})

    response = act(lena, lead, "appointment", at="2026-11-25T15:30")

    lead.refresh_from_db()
    assert lead.status == "appointment"
    # Entered in the dealer's time zone (Berlin, UTC+1).
    assert lead.appointment_at == dt.datetime(2026, 11, 25, 14, 30, tzinfo=dt.UTC)
    assert lead.appointment_set_at is not None
    assert engine.calls == [("appointment_booked", lead.pk, lead.appointment_at)]
    assert "evidence" in lead.events.get(kind="status").data
    assert any("Appointment booked" in m for m in flashes(response))


def test_booking_without_engine_saves_and_warns(lena, lead, no_engine):
    act(lena, lead, "outcome", outcome="reached", note="talked")

    response = act(lena, lead, "appointment", at="2026-11-25T15:30")

    assert Lead.objects.get(pk=lead.pk).status == "appointment"
    assert any("No confirmation was sent" in m for m in flashes(response))


def test_appointment_without_evidence_is_refused(lena, lead, engine):
    act(lena, lead, "appointment", at="2026-11-25T15:30")

    assert Lead.objects.get(pk=lead.pk).status == "new"
    assert engine.calls == []


def test_appointment_in_the_past_is_refused(lena, lead):
    response = act(lena, lead, "appointment", at="2026-11-20T15:30", note="talked")

    assert Lead.objects.get(pk=lead.pk).status == "new"
    assert any("past" in m for m in flashes(response))


def test_moving_an_appointment_logs_the_old_time(lena, lead, engine):
    act(lena, lead, "appointment", at="2026-11-25T15:30", note="talked")
    act(lena, lead, "appointment", at="2026-11-26T10:00")

    lead.refresh_from_db()
    assert lead.appointment_at == dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    assert lead.events.filter(kind="appointment").last().data["moved_from"]


def test_showed_then_sold(lena, lead):
    act(lena, lead, "appointment", at="2026-11-25T15:30", note="talked")
    act(lena, lead, "move", to="showed")
    act(lena, lead, "move", to="sold")

    lead.refresh_from_db()
    assert lead.status == "sold"
    assert lead.showed_at and lead.sold_at


def test_no_show_goes_back_to_reached_for_a_new_appointment(lena, lead):
    act(lena, lead, "appointment", at="2026-11-25T15:30", note="talked")
    act(lena, lead, "move", to="no_show")

    lead.refresh_from_db()
    assert lead.status == "reached"
    assert lead.events.filter(kind="outcome", data__outcome="no_show").exists()


def test_an_illegal_move_is_a_message_not_a_500(lena, lead):
    response = act(lena, lead, "move", to="showed")

    assert response.status_code == 200
    assert Lead.objects.get(pk=lead.pk).status == "new"
    assert any("cannot become" in m for m in flashes(response))


def test_lost_needs_one_of_the_dealers_reasons(lena, lead, dealer_a):
    dealer_a.lost_reasons = ["bought elsewhere", "moved away"]
    dealer_a.save()

    act(lena, lead, "lost", reason="no budget")
    assert Lead.objects.get(pk=lead.pk).status == "new"

    act(lena, lead, "lost", reason="moved away")
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == ("lost", "moved away")
    assert lead.lost_at is not None


def test_note_is_added_to_the_timeline(lena, lead, rep_a1):
    act(lena, lead, "note", note="Customer prefers evenings")

    note = lead.events.get(kind="note")
    assert (note.note, note.actor) == ("Customer prefers evenings", rep_a1)


def test_opt_out_stops_contact_and_hides_contact_actions(lena, lead, engine):
    lead.next_action_due_at = timezone.now()
    lead.save()

    response = act(lena, lead, "opt-out")

    lead.refresh_from_db()
    assert lead.opted_out and lead.next_action_due_at is None
    assert lead.events.get(kind="opted_out").data == {"via": "salesperson"}
    assert "Call now" not in response.content.decode()
    act(lena, lead, "call")
    assert engine.calls == []


def test_manager_reassigns_to_another_salesperson_or_the_bdc(client, manager_a, lead, rep_a2):
    client.force_login(manager_a.user)

    act(client, lead, "reassign", to=str(rep_a2.pk))
    lead.refresh_from_db()
    assert lead.assigned_to == rep_a2

    act(client, lead, "reassign", to="bdc")
    lead.refresh_from_db()
    assert lead.assigned_to is None and lead.bdc


def test_salesperson_cannot_reassign(lena, lead, rep_a2):
    response = lena.post(reverse("lead-action", args=[lead.pk, "reassign"]), {"to": rep_a2.pk})

    assert response.status_code == 404
    assert Lead.objects.get(pk=lead.pk).assigned_to.user.username == "lena"


def test_actions_need_post(lena, lead):
    assert lena.get(reverse("lead-action", args=[lead.pk, "note"])).status_code == 405


def test_csrf_is_enforced_on_actions(rep_a1, lead):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(rep_a1.user)

    response = client.post(reverse("lead-action", args=[lead.pk, "note"]), {"note": "x"})

    assert response.status_code == 403


def test_every_page_is_served_with_a_strict_csp(lena, lead):
    response = lena.get(reverse("lead", args=[lead.pk]))

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()
    assert 'style="' not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_taps_at_once_move_the_lead_once(dealer_a, rep_a1):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    lead = make_lead(dealer_a, rep_a1, status="showed")
    errors: list[Exception] = []

    def tap() -> None:
        try:
            lead_move(lead=Lead.objects.get(pk=lead.pk), by=rep_a1, status="sold")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert lead.events.filter(kind="status", data__to="sold").count() == 1
    assert [type(e).__name__ for e in errors] == ["IllegalMove"]
