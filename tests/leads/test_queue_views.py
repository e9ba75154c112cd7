from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, make_lead


def names(response, section: str) -> list[str]:
    for s in response.context["sections"]:
        if s.key == section:
            return [lead.first_name for lead in s.leads]
    raise KeyError(section)


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    return client


def test_root_sends_signed_in_users_to_the_queue(lena):
    assert lena.get("/").url == "/queue/"


def test_queue_needs_sign_in(client, db):
    response = client.get("/queue/")

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_sign_in_lands_on_the_queue_in_the_dealers_language(client, rep_b1):
    response = client.post(reverse("login"), {"username": "sanne", "password": PASSWORD})

    assert response.url == "/queue/"
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get("/queue/").content.decode()


def test_sign_in_keeps_a_language_the_user_chose(client, rep_b1):
    client.cookies["django_language"] = "de"
    response = client.post(reverse("login"), {"username": "sanne", "password": PASSWORD})

    assert "django_language" not in response.cookies
    assert '<html lang="de">' in client.get("/queue/").content.decode()


def test_five_wrong_passwords_lock_the_sign_in_with_a_clear_message(client, rep_a1):
    for _attempt in range(5):
        client.post(reverse("login"), {"username": "lena", "password": "wrong"})

    response = client.post(reverse("login"), {"username": "lena", "password": PASSWORD})

    assert response.status_code == 429
    assert "15" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_by_email(client, rep_a1):
    response = client.post(reverse("password_reset"), {"email": "lena@example.com"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_new_unreached_leads_come_first_then_due_then_upcoming(lena, rep_a1, dealer_a):
    now = timezone.now()
    make_lead(
        dealer_a,
        rep_a1,
        first_name="Later",
        status="contacting",
        received_at=now - dt.timedelta(days=1),
        next_action_due_at=now + dt.timedelta(hours=3),
    )
    make_lead(
        dealer_a,
        rep_a1,
        first_name="Overdue",
        status="contacting",
        received_at=now - dt.timedelta(days=1),
        next_action_due_at=now - dt.timedelta(minutes=30),
    )
    make_lead(dealer_a, rep_a1, first_name="Fresh", received_at=now - dt.timedelta(seconds=30))
    make_lead(dealer_a, rep_a1, first_name="Waiting", received_at=now - dt.timedelta(minutes=5))

    response = lena.get("/queue/")

    assert names(response, "new") == ["Waiting", "Fresh"]
    assert names(response, "due") == ["Overdue"]
    assert names(response, "upcoming") == ["Later"]
    html = response.content.decode()
    assert 'data-age="300"' in html and 'class="age late"' in html


def test_a_lead_being_rung_but_not_reached_stays_new_for_its_first_hour(lena, rep_a1, dealer_a):
    now = timezone.now()
    make_lead(
        dealer_a,
        rep_a1,
        first_name="Ringing",
        status="contacting",
        received_at=now - dt.timedelta(seconds=40),
        next_action_due_at=now + dt.timedelta(minutes=15),
    )
    make_lead(
        dealer_a,
        rep_a1,
        first_name="Yesterday",
        status="contacting",
        received_at=now - dt.timedelta(days=1),
        next_action_due_at=now + dt.timedelta(minutes=15),
    )

    response = lena.get("/queue/")

    assert names(response, "new") == ["Ringing"]
    assert names(response, "upcoming") == ["Yesterday"]


def test_salesperson_sees_own_and_unassigned_leads_only(lena, rep_a1, rep_a2, dealer_a, dealer_b):
    make_lead(dealer_a, rep_a1, first_name="Mine")
    make_lead(dealer_a, None, first_name="Nobodys")
    make_lead(dealer_a, None, first_name="Evening", bdc=True)
    make_lead(dealer_a, rep_a2, first_name="Jonass")
    make_lead(dealer_b, None, first_name="Dutch")

    assert sorted(names(lena.get("/queue/"), "new")) == ["Mine", "Nobodys"]


def test_manager_sees_the_whole_dealer_and_bdc_filter(
    client, manager_a, rep_a1, rep_a2, dealer_a, dealer_b
):
    make_lead(dealer_a, rep_a1, first_name="Mine")
    make_lead(dealer_a, None, first_name="Evening", bdc=True)
    make_lead(dealer_a, rep_a2, first_name="Jonass")
    make_lead(dealer_b, None, first_name="Dutch")
    client.force_login(manager_a.user)

    assert sorted(names(client.get("/queue/"), "new")) == ["Evening", "Jonass", "Mine"]
    assert names(client.get("/queue/?bdc=1"), "new") == ["Evening"]


def test_closed_leads_leave_the_queue(lena, rep_a1, dealer_a):
    make_lead(dealer_a, rep_a1, first_name="Sold", status="sold")
    make_lead(dealer_a, rep_a1, first_name="Open", status="reached")

    response = lena.get("/queue/")
    assert names(response, "upcoming") == ["Open"]
    assert names(response, "new") == names(response, "due") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=schmi", ["Anna"]),
        ("q=0171+222", ["Bert"]),
        ("q=bert%40example", ["Bert"]),
        ("status=reached", ["Bert"]),
        ("source=mobile.de", ["Bert"]),
        ("due=today", ["Anna", "Bert"]),
        ("channel=whatsapp", ["Bert"]),
        ("milestone=reached", ["Bert", "Carla"]),
        ("not_milestone=reached", ["Anna"]),
        ("lost_reason=no+budget", ["Carla"]),
        ("week=2026-W48", ["Anna", "Bert", "Carla"]),
        ("week=2026-W47", []),
        ("status=reached&status=lost", ["Bert", "Carla"]),
    ],
)
def test_queue_filters_follow_the_report_contract(
    client, manager_a, rep_a1, dealer_a, query, expected
):
    now = timezone.now()
    make_lead(dealer_a, rep_a1, first_name="Anna")
    make_lead(
        dealer_a,
        rep_a1,
        first_name="Bert",
        last_name="Meier",
        phone="+491712223333",
        email="bert@example.de",
        source="mobile.de",
        status="reached",
        reached_at=now,
        first_channel="whatsapp",
        next_action_due_at=now + dt.timedelta(hours=1),
    )
    make_lead(
        dealer_a,
        rep_a1,
        first_name="Carla",
        last_name="Vogel",
        phone="+491719999999",
        email="carla@example.de",
        status="lost",
        reached_at=now,
        lost_at=now,
        lost_reason="no budget",
    )
    client.force_login(manager_a.user)

    response = client.get(f"/queue/?{query}")

    shown = sorted(name for s in ("new", "due", "upcoming") for name in names(response, s))
    assert shown == expected


def test_rep_filter_shows_one_salespersons_leads_including_closed(
    client, manager_a, rep_a1, rep_a2, dealer_a
):
    make_lead(dealer_a, rep_a1, first_name="Anna", status="sold")
    make_lead(dealer_a, rep_a2, first_name="Bert")
    client.force_login(manager_a.user)

    response = client.get(f"/queue/?rep={rep_a1.pk}")

    assert names(response, "upcoming") == ["Anna"]
    assert names(response, "new") == []


def test_week_is_counted_in_the_dealers_time_zone(client, manager_a, dealer_a):
    # Sunday 23:30 UTC is already Monday in Berlin: week 48, not 47.
    make_lead(
        dealer_a,
        None,
        first_name="Early",
        received_at=dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC),
    )
    client.force_login(manager_a.user)

    assert names(client.get("/queue/?week=2026-W48"), "new") == ["Early"]
    assert names(client.get("/queue/?week=2026-W47"), "new") == []


def test_a_malformed_week_is_an_error_message_not_a_500(client, manager_a):
    client.force_login(manager_a.user)

    response = client.get("/queue/?week=yesterday")

    assert response.status_code == 200
    assert "2026-W47" in response.content.decode()


def test_htmx_poll_returns_only_the_list(lena, rep_a1, dealer_a):
    make_lead(dealer_a, rep_a1, first_name="Anna")

    response = lena.get("/queue/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-list")

    html = response.content.decode()
    assert "Anna" in html
    assert "<html" not in html


def test_empty_queue_says_so(lena):
    html = lena.get("/queue/").content.decode()

    assert "No new leads" in html or "Keine neuen Leads" in html


@pytest.mark.parametrize("who", ["rep_a1", "manager_a"])
def test_queue_query_count_does_not_grow_with_leads(
    client, request, who, rep_a1, dealer_a, django_assert_max_num_queries
):
    client.force_login(request.getfixturevalue(who).user)
    now = timezone.now()

    def fill(count: int) -> None:
        for i in range(count):
            make_lead(dealer_a, rep_a1 if i % 2 else None, first_name=f"N{i}")
            make_lead(
                dealer_a,
                rep_a1,
                first_name=f"D{i}",
                status="contacting",
                received_at=now - dt.timedelta(days=1),
                next_action_due_at=now - dt.timedelta(minutes=i + 1),
                opted_out_at=now if i % 3 else None,
            )
            make_lead(
                dealer_a,
                rep_a1,
                first_name=f"U{i}",
                status="reached",
                next_action_due_at=now + dt.timedelta(minutes=i + 1),
            )
            make_lead(
                dealer_a,
                rep_a1,
                first_name=f"A{i}",
                status="appointment",
                appointment_at=now + dt.timedelta(days=1),
            )

    # Session, user, staff, dealer, then at most a list and a count per section: a fixed
    # ceiling, however many leads (a lazy column or relation per row would blow through it).
    fill(3)
    with django_assert_max_num_queries(13):
        client.get("/queue/")
    fill(40)
    with django_assert_max_num_queries(13):
        response = client.get("/queue/")

    assert response.status_code == 200
    assert len(response.context["sections"][0].leads) == 30
    assert response.context["sections"][0].total == 43


def test_a_poll_after_the_session_ended_sends_the_page_to_sign_in(client, db):
    response = client.get("/queue/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-list")

    assert response["HX-Redirect"] == "/accounts/login/?next=/queue/"
