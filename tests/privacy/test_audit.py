"""Who looked: lead page views, exports and erasures are logged; admin edits keep old → new."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.urls import reverse

from leads.models import AccessLog
from tests.conftest import make_lead


def test_managers_see_who_opened_a_lead_and_what_the_admin_changed(
    client, admin_client, dealer_a, rep_a1, manager_a
):
    lead = make_lead(dealer_a, assigned_to=rep_a1)
    client.force_login(rep_a1.user)
    client.get(reverse("lead", args=[lead.pk]))
    admin_client.post(
        reverse("admin:leads_lead_change", args=[lead.pk]),
        {
            "dealer": dealer_a.pk,
            "source": "website",
            "first_name": "Anna",
            "last_name": "Schmidt-Berg",
            "phone": lead.phone,
            "email": lead.email,
            "preferred_channel": "phone",
            "status": "new",
            "attempt_count": 0,
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    [change] = LogEntry.objects.get_for_object(lead)
    assert change.changes_dict["last_name"] == ["Schmidt", "Schmidt-Berg"]
    assert change.actor.username == "admin"

    client.force_login(manager_a.user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("privacy-lead-audit", args=[lead.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "lena" in text and "Opened the lead page" in text
    assert "Schmidt-Berg" in text and "admin" in text
    assert list(AccessLog.objects.filter(lead=lead).values_list("username", "action")) == [
        ("petra", "audit"),
        ("lena", "view"),
    ]


def test_the_access_log_is_for_managers_of_the_same_dealer(
    client, dealer_a, dealer_b, rep_a1, rep_b1, manager_a
):
    lead = make_lead(dealer_a, assigned_to=rep_a1)

    client.force_login(rep_a1.user)
    assert client.get(reverse("privacy-lead-audit", args=[lead.pk])).status_code == 403
    client.force_login(rep_b1.user)
    assert client.get(reverse("privacy-lead-audit", args=[lead.pk])).status_code == 403
    other_manager = rep_b1
    other_manager.role = "manager"
    other_manager.save()
    assert client.get(reverse("privacy-lead-audit", args=[lead.pk])).status_code == 404


def test_the_funnel_csv_download_is_logged(client, dealer_a, manager_a):
    client.force_login(manager_a.user)

    client.get("/reports/funnel/?format=csv&table=reps")

    entry = AccessLog.objects.get()
    assert (entry.action, entry.username, entry.detail["table"]) == ("report_csv", "petra", "reps")
