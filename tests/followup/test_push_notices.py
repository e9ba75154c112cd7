"""Push notices about leads: who gets which, in the dealer's language, opening the lead."""

from __future__ import annotations

from followup.push import PushKind, lead_push
from tests.conftest import make_lead


def test_new_lead_reaches_its_salesperson_and_opens_the_lead(
    push_service, dealer_a, rep_a1, rep_a2
):
    push_service.subscribe(rep_a1)
    push_service.subscribe(rep_a2)
    lead = make_lead(dealer_a, assigned_to=rep_a1, vehicle_make="VW", vehicle_model="Golf")
    assert lead_push(lead_id=lead.pk, kind=PushKind.NEW_LEAD) == 1
    (payload,) = push_service.payloads()
    assert payload["url"] == f"/leads/{lead.pk}/"
    assert payload["title"] == f"Neuer Lead: {lead}"  # the dealer's language
    assert "VW Golf" in payload["body"]
    assert payload["tag"] == f"lead-{lead.pk}-new_lead"


def test_escalation_goes_to_the_bdc(push_service, dealer_a, rep_a1, bdc_a):
    push_service.subscribe(rep_a1)
    push_service.subscribe(bdc_a)
    lead = make_lead(dealer_a, assigned_to=rep_a1)
    assert lead_push(lead_id=lead.pk, kind=PushKind.ESCALATION) == 1
    assert push_service.delivered[0].token in push_service.browsers
    assert push_service.payloads()[0]["title"].startswith("Eskalation")


def test_a_reply_on_an_unowned_lead_reaches_the_bdc(push_service, dealer_a, bdc_a):
    push_service.subscribe(bdc_a)
    lead = make_lead(dealer_a, assigned_to=None)
    assert lead_push(lead_id=lead.pk, kind=PushKind.REPLY) == 1


def test_an_erased_lead_is_never_pushed(push_service, dealer_a, rep_a1):
    push_service.subscribe(rep_a1)
    lead = make_lead(dealer_a, assigned_to=rep_a1)
    lead.__class__.objects.filter(pk=lead.pk).update(erased_at=lead.received_at)
    assert lead_push(lead_id=lead.pk, kind=PushKind.NEW_LEAD) == 0
    assert push_service.delivered == []


# --- through the engine: the real intake, reply and escalation paths ---


def test_a_posted_lead_buzzes_its_salesperson_beside_the_ring(push_service, post_lead, rep_a1):
    push_service.subscribe(rep_a1)
    lead = post_lead()
    assert lead.assigned_to == rep_a1
    (payload,) = push_service.payloads()
    assert payload["url"] == f"/leads/{lead.pk}/"
    assert payload["title"].startswith("Neuer Lead")
    # The call still rings: push never replaces it.
    assert lead.attempts.filter(channel="phone").exists()


def test_the_same_shopper_asking_again_is_not_pushed_twice(push_service, post_lead, rep_a1):
    push_service.subscribe(rep_a1)
    post_lead()
    post_lead()
    assert len(push_service.payloads()) == 1


def test_a_whatsapp_reply_buzzes_the_salesperson(
    client, push_service, messages_twilio, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    from tests.followup.messages_support import make_lead as make_message_lead
    from tests.followup.test_messages_inbound import whatsapp_from

    push_service.subscribe(rep_a1)
    lead = make_message_lead(dealer_a, assigned_to=rep_a1)
    with django_capture_on_commit_callbacks(execute=True):
        assert whatsapp_from(client, "Ja, Samstag passt.").status_code == 200
    (payload,) = push_service.payloads()
    assert payload["tag"] == f"lead-{lead.pk}-reply"
    assert payload["title"].endswith("hat geantwortet")


def test_a_dead_push_service_never_stops_the_lead(push_service, post_lead, rep_a1):
    push_service.subscribe(rep_a1)
    push_service.fail_next(503)
    lead = post_lead()
    assert push_service.payloads() == []
    assert lead.attempts.filter(channel="phone").exists()
    device = rep_a1.push_subscriptions.get()
    assert device.last_failure == "push service answered 503"
