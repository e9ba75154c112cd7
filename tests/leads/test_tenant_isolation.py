from __future__ import annotations

from leads.models import Lead
from tests.conftest import TOKEN_A, TOKEN_B, sample_lead
from tests.leads.intake.test_webhook_intake import post


def test_dealer_a_token_cannot_post_to_dealer_b(client, dealer_a, dealer_b, rep_b1):
    response = post(client, "zuid", sample_lead(phone="06-12345678"), token=TOKEN_A)

    assert response.status_code == 401
    assert not Lead.objects.filter(dealer=dealer_b).exists()


def test_same_external_id_at_two_dealers_is_two_leads(client, dealer_a, dealer_b, rep_a1, rep_b1):
    a = post(client, "nord", sample_lead(), token=TOKEN_A)
    b = post(client, "zuid", sample_lead(phone="06-12345678"), token=TOKEN_B)

    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert Lead.objects.get(pk=b.json()["id"]).assigned_to == rep_b1


def test_a_customer_known_at_dealer_a_is_new_at_dealer_b(
    client, dealer_a, dealer_b, rep_a1, rep_b1
):
    post(client, "nord", sample_lead(), token=TOKEN_A)
    response = post(
        client, "zuid", sample_lead(external_id="zuid-1", phone="+49 171 1234567"), token=TOKEN_B
    )

    assert response.json()["outcome"] == "created"
    assert Lead.objects.filter(dealer=dealer_a).get().events.count() == 2
