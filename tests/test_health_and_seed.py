from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from dealers.models import Dealer, Salesperson
from leadflow.celery import app as celery_app


def test_healthz_is_200_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "status": "ok", "ring_sla": 0}


def test_healthz_is_503_and_names_the_broker_when_it_is_down(client, db, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "fail", "status": "fail", "ring_sla": 0}
    assert b"127.0.0.1" not in response.content and b"Error" not in response.content


def test_healthz_names_the_database_without_its_error_text(client, db, monkeypatch):
    from django.db import OperationalError, connection

    def refuse(*args, **kwargs):
        raise OperationalError(
            'connection to server at "db.internal" (10.0.0.5), port 5432 failed: '
            'FATAL: password authentication failed for user "leadflow"'
        )

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "database": "fail",
        "broker": "ok",
        "status": "fail",
        "ring_sla": None,
    }
    for secret in (b"db.internal", b"10.0.0.5", b"5432", b"leadflow"):
        assert secret not in response.content


@override_settings(LEADFLOW_DEMO_TOKEN="", LEADFLOW_DEMO_PASSWORD="demo")
def test_seed_demo_twice_changes_nothing(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "shown once" in out.getvalue()
    snapshot = list(
        Salesperson.objects.values_list("user__username", "role", "phone", "user__password")
    )
    token_hash = Dealer.objects.get(slug="demo").webhook_token_hash

    call_command("seed_demo", stdout=StringIO())

    assert (
        list(Salesperson.objects.values_list("user__username", "role", "phone", "user__password"))
        == snapshot
    )
    assert Dealer.objects.get(slug="demo").webhook_token_hash == token_hash
    assert sorted(u for u, *_ in snapshot) == ["bdc", "manager", "sales1", "sales2"]
    assert get_user_model().objects.get(username="admin").is_superuser


@override_settings(LEADFLOW_DEMO_TOKEN="lf_chosen")
def test_seed_demo_takes_the_token_from_the_environment(db):
    call_command("seed_demo", stdout=StringIO())

    assert Dealer.objects.get(slug="demo").webhook_token_matches("lf_chosen")


def test_a_staff_manager_sees_only_their_dealers_leads_in_the_admin(
    client, dealer_a, dealer_b, manager_a
):
    from django.contrib.auth.models import Permission

    from leads.models import Lead

    Lead.objects.create(dealer=dealer_a, source="website", first_name="Anna")
    Lead.objects.create(dealer=dealer_b, source="website", first_name="Bram")
    manager_a.user.is_staff = True
    manager_a.user.save()
    manager_a.user.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(manager_a.user)

    page = client.get("/admin/leads/lead/").content.decode()

    assert "Anna" in page
    assert "Bram" not in page
