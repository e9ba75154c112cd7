"""/bdc/: the BDC's own worklist — escalations now, after-hours leads, recovery calls due,
leads to hand back — live like the queue, scoped to the user's dealer."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from dealers.models import Salesperson
from followup.models import Attempt, HoursRule
from leads.models import Lead
from tests.conftest import BERLIN, MONDAY_10AM, make_lead

URL = "/bdc/"
FRIDAY_EVENING = dt.datetime(2026, 11, 20, 20, 30, tzinfo=BERLIN)


def page(client, person, **headers) -> str:
    if client.session.get("_auth_user_id") != str(person.user.pk):
        client.force_login(person.user)
    response = client.get(URL, **headers)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, key: str) -> str:
    start = html.index(f'class="queue-section bdc-{key}"')
    end = html.find("</section>", start)
    return html[start:end]


@pytest.fixture
def worklist_leads(dealer_a, rep_a1):
    escalated = make_lead(
        dealer_a,
        first_name="Eva",
        last_name="Eskaliert",
        phone="+491711110001",
        status=Lead.Status.CONTACTING,
        bdc=True,
        bdc_reason="handed on",
    )
    night = make_lead(
        dealer_a,
        first_name="Nina",
        last_name="Nacht",
        phone="+491711110002",
        bdc=True,
        bdc_reason="after_hours",
        received_at=MONDAY_10AM - dt.timedelta(hours=12),
        next_action="first_call",
        next_action_due_at=MONDAY_10AM + dt.timedelta(minutes=5),
    )
    lost = make_lead(
        dealer_a,
        rep_a1,
        first_name="Rolf",
        last_name="Rueckruf",
        phone="+491711110003",
        status=Lead.Status.LOST,
        received_at=MONDAY_10AM - dt.timedelta(days=20),
    )
    Attempt.objects.create(
        dealer=dealer_a,
        lead=lost,
        key="recovery",
        channel="phone",
        purpose="recovery",
        label="recovery",
        hours_rule=HoursRule.CONTACT,
        due_at=MONDAY_10AM - dt.timedelta(minutes=30),
    )
    back = make_lead(
        dealer_a,
        first_name="Bert",
        last_name="Zurueck",
        phone="+491711110004",
        status=Lead.Status.REACHED,
        bdc=True,
        bdc_reason="after_hours",
    )
    return escalated, night, lost, back


def test_the_bdc_sees_each_kind_of_work_with_its_age_and_next_step(
    client, bdc_a, worklist_leads, django_assert_max_num_queries
):
    client.force_login(bdc_a.user)
    with django_assert_max_num_queries(12):
        html = page(client, bdc_a, HTTP_ACCEPT_LANGUAGE="en")

    assert "Eskaliert" in section(html, "escalated")
    assert "Call the customer back now" in section(html, "escalated")
    night = section(html, "after_hours")
    assert "Nacht" in night and "First call" in night
    assert "12:00 h" in night  # twelve hours old
    assert "Rueckruf" in section(html, "recovery")
    assert "Zurueck" in section(html, "hand_back")
    assert 'href="tel:+491711110002"' in night  # phone first: one tap to call


def test_the_worklist_is_live_and_its_fragment_is_just_the_list(client, bdc_a, worklist_leads):
    html = page(client, bdc_a, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="bdc-list")

    assert "<html" not in html
    assert "Nacht" in html
    full = page(client, bdc_a)
    assert 'hx-trigger="every 5s"' in full


def test_an_empty_worklist_says_so(client, bdc_a):
    html = page(client, bdc_a, HTTP_ACCEPT_LANGUAGE="en")

    assert "Nothing for the BDC right now." in html


def test_the_worklist_shows_only_the_users_dealer_and_only_to_bdc_and_managers(
    client, bdc_a, manager_a, rep_a1, rep_b1, dealer_b, worklist_leads
):
    make_lead(dealer_b, first_name="Zoe", last_name="Zuid", bdc=True, bdc_reason="after_hours")

    assert "Nacht" in page(client, manager_a)
    assert "Zuid" not in page(client, bdc_a)
    client.force_login(rep_a1.user)
    assert client.get(URL).status_code == 404
    client.force_login(rep_b1.user)
    assert client.get(URL).status_code == 404
    client.logout()
    assert client.get(URL).status_code == 302
    assert client.get(URL, HTTP_HX_REQUEST="true")["HX-Redirect"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("de", ["BDC-Arbeitsliste", "Jetzt eskaliert", "Zurück an den Verkauf"]),
        ("nl", ["BDC-werklijst", "Nu geëscaleerd", "Terug naar verkoop"]),
        ("fr", ["Liste de travail BDC", "Escaladé maintenant", "À rendre aux vendeurs"]),
    ],
)
def test_the_worklist_speaks_the_users_language(client, bdc_a, worklist_leads, language, words):
    client.force_login(bdc_a.user)
    client.post(reverse("set_language"), {"language": language, "next": URL})

    html = page(client, bdc_a)

    for word in words:
        assert word in html


def test_a_lead_that_arrives_after_hours_lands_on_the_worklist(post_lead, client, bdc_a, rep_a1):
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        lead = post_lead()
        html = page(client, bdc_a, HTTP_ACCEPT_LANGUAGE="en")

    assert lead.bdc
    assert "Schmidt" in section(html, "after_hours")


@override_settings(LEADFLOW_DEMO_TOKEN="", LEADFLOW_DEMO_PASSWORD="demo")
def test_the_demo_dealers_bdc_finds_a_mornings_work(client, db):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_bdc_demo", stdout=StringIO())
    call_command("seed_bdc_demo", stdout=StringIO())  # twice changes nothing

    murat = Salesperson.objects.get(dealer__slug="demo", role=Salesperson.Role.BDC)
    html = page(client, murat, HTTP_ACCEPT_LANGUAGE="en")

    assert "Krüger" in section(html, "escalated")
    assert "Meier" in section(html, "after_hours") and "Demir" in section(html, "after_hours")
    assert "Fischer" in section(html, "recovery")
    assert "Schulz" in section(html, "hand_back")
    assert Lead.objects.filter(external_id__startswith="demo-bdc-").count() == 5
