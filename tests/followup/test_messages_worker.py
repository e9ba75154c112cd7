from __future__ import annotations

import pytest
from django.db import transaction

from followup.messaging import message_send
from followup.models import MessageTemplate, OutboundMessage
from tests.followup.messages_support import ANNA_MOBILE, make_lead


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_whatsapp_leaves_through_the_real_worker_only_after_commit(
    messages_twilio, dealer_a, celery_worker, tasks_done
):
    MessageTemplate.objects.create(
        dealer=dealer_a,
        channel="whatsapp",
        purpose="first",
        language="de",
        label="Erste",
        body="Hallo {first_name}",
        content_sid="HX" + "c" * 32,
    )
    lead = make_lead(dealer_a)

    with transaction.atomic():
        assert message_send(lead=lead, channel="whatsapp", purpose="first")
        assert messages_twilio.requests == [], "nothing leaves inside the transaction"

    assert tasks_done.wait_for("followup.messages.send"), "the worker never sent it"
    [request] = messages_twilio.messages_created()
    assert request.param("To") == f"whatsapp:{ANNA_MOBILE}"
    message = OutboundMessage.objects.get()
    assert (message.status, message.provider_sid) == (OutboundMessage.Status.SENT, request.sid)
