"""Two customers picking the same slot at the same moment get one each, never the same one."""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import IntegrityError, connection, transaction

from followup.booking.links import booking_url
from followup.booking.models import Booking
from leads.models import Lead
from tests.conftest import BERLIN, make_lead

WEDNESDAY_3PM = dt.datetime(2026, 11, 25, 15, 0, tzinfo=BERLIN)
SLOT = WEDNESDAY_3PM.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")
postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrency is proven on PostgreSQL (CI)"
)


class Customer:
    """One customer's phone: a session that opened the booking page."""

    def __init__(self, base: str, lead: Lead) -> None:
        self.url = base + "/" + booking_url(lead=lead).split("/", 3)[3]
        self.session = requests.Session()
        self.token = ""

    def open(self) -> str:
        page = self.session.get(self.url, timeout=30)
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        return page.text

    def book(self, slot: str) -> requests.Response:
        return self.session.post(
            self.url,
            data={
                "csrfmiddlewaretoken": self.token,
                "action": "book",
                "kind": "test_drive",
                "slot": slot,
            },
            headers={"Referer": self.url},
            allow_redirects=False,
            timeout=30,
        )


def customers(live_server, dealer, rep, count: int) -> list[Customer]:
    people = []
    for n in range(count):
        lead = make_lead(
            dealer,
            rep,
            first_name=f"Kunde{n}",
            email=f"kunde{n}@example.de",
            phone=f"+4917112345{n:02d}",
            status=Lead.Status.CONTACTING,
        )
        people.append(Customer(live_server.url, lead))
    for person in people:
        person.open()
    return people


def all_at_once(people: list[Customer], slot_of) -> list[requests.Response]:
    start = threading.Barrier(len(people))

    def go(person: Customer) -> requests.Response:
        start.wait(timeout=30)
        return person.book(slot_of(person))

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        return list(pool.map(go, people))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_customers_booking_the_same_slot_get_one_each(
    live_server, dealer_a, rep_a1, messages_sandbox, tasks_stay_queued
):
    anna, ben = customers(live_server, dealer_a, rep_a1, 2)

    first = all_at_once([anna, ben], lambda _person: SLOT)

    assert sorted(r.status_code for r in first) == [302, 409]
    loser = anna if first[0].status_code == 409 else ben
    refused = first[0] if loser is anna else first[1]
    assert "gerade eben vergeben" in refused.text
    offered = re.findall(r'name="slot" value="(\w+)"', refused.text)
    assert SLOT not in offered
    assert loser.book(offered[0]).status_code == 302

    bookings = list(Booking.objects.filter(status="booked").values_list("lead", "starts_at"))
    assert len(bookings) == 2
    assert len({lead for lead, _ in bookings}) == 2
    assert len({at for _, at in bookings}) == 2
    assert {lead.appointment_at for lead in Lead.objects.all()} == {at for _, at in bookings}
    assert connection.vendor == "postgresql"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_customers_on_one_slot_make_one_booking(
    live_server, dealer_a, rep_a1, messages_sandbox, tasks_stay_queued
):
    people = customers(live_server, dealer_a, rep_a1, 8)

    results = all_at_once(people, lambda _person: SLOT)

    assert sorted(r.status_code for r in results) == [302] + [409] * 7
    assert Booking.objects.filter(starts_at=WEDNESDAY_3PM, status="booked").count() == 1
    assert Lead.objects.filter(status="appointment").count() == 1


def test_the_database_refuses_a_second_booking_of_a_salespersons_slot(dealer_a, rep_a1):
    anna = make_lead(dealer_a, rep_a1)
    ben = make_lead(dealer_a, rep_a1, first_name="Ben", email="ben@example.de", phone="")
    slot = {
        "dealer": dealer_a,
        "salesperson": rep_a1,
        "kind": "visit",
        "starts_at": WEDNESDAY_3PM,
        "ends_at": WEDNESDAY_3PM + dt.timedelta(hours=1),
    }
    Booking.objects.create(lead=anna, **slot)

    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(lead=ben, **slot)
    # A call-back at that time takes nobody's slot; a cancelled booking frees it.
    Booking.objects.create(lead=ben, **{**slot, "kind": "callback"})
    Booking.objects.filter(lead=anna).update(status="cancelled")
    Booking.objects.create(lead=ben, **slot)
