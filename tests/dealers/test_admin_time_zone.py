"""The admin shows times in the dealer's time zone, as the product does."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from dealers.models import Dealer
from tests.conftest import make_lead

# 09:07 UTC: 10:07 in Berlin, 04:07 in New York.
RECEIVED = dt.datetime(2026, 11, 23, 9, 7, tzinfo=dt.UTC)


@pytest.fixture
def superuser_client(client, db):
    admin = get_user_model().objects.create_superuser("it", "it@example.com", "pw")
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def new_york(db) -> Dealer:
    return Dealer.objects.create(name="Queens Motors", slug="queens", time_zone="America/New_York")


def test_the_admin_shows_a_leads_times_in_its_dealers_zone(superuser_client, dealer_a):
    lead = make_lead(dealer_a, None, received_at=RECEIVED)

    page = superuser_client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()

    assert "10:07" in page
    assert "9:07" not in page


def test_with_dealers_in_several_zones_each_lead_shows_its_own(
    superuser_client, dealer_a, new_york
):
    berlin_lead = make_lead(dealer_a, None, received_at=RECEIVED)
    queens_lead = make_lead(new_york, None, received_at=RECEIVED, phone="+12125550100")

    berlin = superuser_client.get(f"/admin/leads/lead/{berlin_lead.pk}/change/").content.decode()
    queens = superuser_client.get(f"/admin/leads/lead/{queens_lead.pk}/change/").content.decode()

    assert "10:07" in berlin
    assert "4:07" in queens and "10:07" not in queens


def test_a_list_filtered_by_dealer_shows_that_dealers_zone(superuser_client, dealer_a, new_york):
    make_lead(new_york, None, received_at=RECEIVED, phone="+12125550100")

    page = superuser_client.get(
        f"/admin/leads/lead/?dealer__id__exact={new_york.pk}"
    ).content.decode()

    assert "4:07" in page


def test_a_managers_admin_shows_their_dealers_zone(client, manager_a):
    manager_a.user.is_staff = True
    manager_a.user.is_superuser = True
    manager_a.user.save()
    lead = make_lead(manager_a.dealer, None, received_at=RECEIVED)
    client.force_login(manager_a.user)

    page = client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()

    assert ZoneInfo(manager_a.dealer.time_zone).key == "Europe/Berlin"
    assert "10:07" in page
