"""The admin fails closed per dealer: another dealer's staff, holding every permission the apps
have, can neither see, choose, change, delete nor create anything of dealer_a's.

The walk covers every model in ``admin.site._registry``, so an admin class added later is
checked without anyone remembering to: it fails until the class extends the scoped base and
dealer_a owns a row of the model in ``world`` below.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.forms import ModelChoiceField
from django.urls import reverse
from django.utils import timezone

from dealers.admin_scoping import (
    DealerScopedAdmin,
    DealerScopedInline,
    SuperuserOnlyAdmin,
    scope_queryset,
    tenant_path,
)
from dealers.models import Salesperson, Vehicle
from followup.booking.models import Booking
from followup.models import (
    Attempt,
    CadenceStep,
    Call,
    InboundMessage,
    MessageTemplate,
    OutboundMessage,
)
from leads.models import FunnelDigest, IntakeRecord, Lead, LeadEvent
from tests.conftest import make_lead, make_staff

# What dealer_a's rows print as somewhere: none of it may reach dealer_b's staff.
A_MARKERS = ("Autohaus Nord", "Lena Test", "Petra Test", "Nordmann", "leads@nord.example")


@pytest.fixture
def world(dealer_a, dealer_b, rep_a1, manager_a, rep_b1):
    """dealer_a owns a row of every model the admin shows; dealer_b a lead of its own."""
    lead = make_lead(dealer_a, rep_a1, first_name="Alfa", last_name="Nordmann")
    attempt = Attempt.objects.create(
        dealer=dealer_a, lead=lead, key="first_call", channel="phone", due_at=timezone.now()
    )
    Call.objects.create(
        dealer=dealer_a,
        lead=lead,
        attempt=attempt,
        salesperson=rep_a1,
        to=rep_a1.phone,
        from_number=dealer_a.caller_id,
        provider="sandbox",
    )
    CadenceStep.objects.create(dealer=dealer_a, position=1, channel="phone")
    MessageTemplate.objects.create(
        dealer=dealer_a,
        channel="email",
        purpose="first",
        language="de",
        label="Nordmann-Vorlage",
        body="Hallo {first_name}",
    )
    OutboundMessage.objects.create(
        dealer=dealer_a, lead=lead, channel="email", purpose="first", to=lead.email
    )
    InboundMessage.objects.create(
        dealer=dealer_a, lead=lead, channel="email", sender=lead.email, text="Nordmann hier"
    )
    IntakeRecord.objects.create(
        dealer=dealer_a, dealer_slug="nord", source="website", body=b'{"last_name": "Nordmann"}'
    )
    FunnelDigest.objects.create(dealer=dealer_a, week="2026-W47", recipients=["petra@x.example"])
    Group.objects.create(name="Autohaus Nord sales")
    Vehicle.objects.create(dealer=dealer_a, stock_number="NORD-1", make="Nordmann-Mobil")
    Booking.objects.create(
        dealer=dealer_a,
        lead=lead,
        salesperson=rep_a1,
        kind=Booking.Kind.choices[0][0],
        starts_at=timezone.now(),
        ends_at=timezone.now(),
    )
    make_lead(dealer_b, rep_b1, first_name="Bea", last_name="Zuidema")
    return lead


@pytest.fixture
def stranger(dealer_b):
    """dealer_b's staff member with every permission of every app, but no superuser."""
    staff = make_staff(dealer_b, "zuid-chef", "Zoe", Salesperson.Role.MANAGER, "+31612340000")
    staff.user.is_staff = True
    staff.user.save()
    staff.user.user_permissions.set(Permission.objects.all())
    return staff


def registered() -> list[tuple[type[models.Model], admin.ModelAdmin]]:
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def rows_of_a(model, dealer_a) -> list[models.Model]:
    return list(scope_queryset(model._default_manager.all(), dealer_a))


def snapshot(obj: models.Model) -> dict:
    fresh = type(obj)._default_manager.filter(pk=obj.pk).values().first()
    return fresh or {}


def assert_no_a_choices(form, dealer_a, where: str) -> None:
    for name, field in form.fields.items():
        if not isinstance(field, ModelChoiceField) or name == form._meta.model._meta.pk.name:
            continue  # an inline row's own hidden id is looked up in the parent's rows only
        queryset = field.queryset
        path = tenant_path(queryset.model)
        assert path is not None or not queryset.exists(), f"{where}.{name}: unscoped choices"
        if path is not None:
            assert not queryset.filter(**{path: dealer_a.pk}).exists(), f"{where}.{name} offers A"


def test_every_admin_class_is_dealer_scoped():
    unscoped = []
    for model, model_admin in registered():
        if not isinstance(model_admin, (DealerScopedAdmin, SuperuserOnlyAdmin)):
            unscoped.append(type(model_admin).__name__)
            continue
        if isinstance(model_admin, DealerScopedAdmin) and not (
            model_admin.dealer_field or tenant_path(model)
        ):
            unscoped.append(f"{type(model_admin).__name__} (no way to its dealer)")
        unscoped += [
            f"{type(model_admin).__name__}.{inline.__name__}"
            for inline in model_admin.inlines
            if not issubclass(inline, DealerScopedInline)
        ]
    assert unscoped == []


@pytest.mark.parametrize(
    "model", [m for m, _ in registered()], ids=[m._meta.label for m, _ in registered()]
)
def test_another_dealers_staff_reaches_nothing_of_dealer_a(
    client, world, dealer_a, stranger, model
):
    model_admin = admin.site._registry[model]
    client.force_login(stranger.user)

    if isinstance(model_admin, SuperuserOnlyAdmin):
        for view in ("changelist", "add"):
            assert client.get(url(model, view)).status_code == 403
        return

    rows = rows_of_a(model, dealer_a)
    assert rows, f"give dealer_a a {model._meta.label} row in the world fixture"

    # The list, every filter and its dealer filter parameter: nothing of A's.
    for query in ("", f"?dealer__id__exact={dealer_a.pk}", "?q=Alfa"):
        page = client.get(url(model, "changelist") + query)
        assert page.status_code == 200 or (query and page.status_code == 302), query
        if page.status_code == 302:
            continue
        if "cl" in page.context:
            shown = {obj.pk for obj in page.context["cl"].result_list}
            assert shown.isdisjoint(obj.pk for obj in rows), query
        html = page.content.decode()
        assert [m for m in A_MARKERS if m in html] == [], (model, query)

    # The add page offers none of A's rows as a choice (dealer, salesperson, lead, ...).
    add = client.get(url(model, "add"))
    if add.status_code == 200:
        assert_no_a_choices(add.context["adminform"].form, dealer_a, model._meta.label)
        for formset in add.context["inline_admin_formsets"]:
            assert_no_a_choices(formset.formset.empty_form, dealer_a, model._meta.label)
        assert [m for m in A_MARKERS if m in add.content.decode()] == []
    else:
        assert add.status_code == 403

    for obj in rows:
        before = snapshot(obj)
        for view in ("change", "delete", "history"):
            response = client.get(url(model, view, obj.pk))
            assert response.status_code in (302, 403, 404), (view, obj)
        client.post(url(model, "change", obj.pk), {"name": "taken", "body": "taken"})
        client.post(url(model, "delete", obj.pk), {"post": "yes"})
        client.post(
            url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert snapshot(obj) == before, obj


def test_stranger_cannot_create_for_or_move_anything_to_dealer_a(
    client, world, dealer_a, dealer_b, rep_a1, stranger
):
    client.force_login(stranger.user)
    own_lead = Lead.objects.get(dealer=dealer_b)

    client.post(
        url(CadenceStep, "add"),
        {
            "dealer": dealer_a.pk,
            "position": 7,
            "day": 0,
            "offset_minutes": 0,
            "channel": "phone",
            "template": "followup",
            "hours_rule": "open",
        },
    )
    client.post(
        url(MessageTemplate, "add"),
        {
            "dealer": dealer_a.pk,
            "channel": "email",
            "purpose": "first",
            "language": "en",
            "label": "x",
            "body": "x",
            "variables": "[]",
        },
    )
    lead_change = client.post(
        url(Lead, "change", own_lead.pk),
        {
            **{k: v for k, v in snapshot(own_lead).items() if v is not None},
            "dealer": dealer_a.pk,
            "assigned_to": rep_a1.pk,
        },
    )

    assert not CadenceStep.objects.filter(position=7).exists()
    assert not MessageTemplate.objects.filter(label="x").exists()
    assert lead_change.status_code in (200, 403)
    own_lead.refresh_from_db()
    assert (own_lead.dealer, own_lead.assigned_to) == (dealer_b, own_lead.assigned_to)
    assert own_lead.assigned_to != rep_a1
    assert LeadEvent.objects.filter(dealer=dealer_a).count() == 1


def test_staff_cannot_move_themselves_or_change_their_role(client, world, dealer_a, stranger):
    stranger.role = Salesperson.Role.SALESPERSON
    stranger.save()
    client.force_login(stranger.user)

    client.post(
        url(Salesperson, "change", stranger.pk),
        {
            "user": stranger.user_id,
            "dealer": dealer_a.pk,
            "role": "manager",
            "phone": "+31612340000",
            "on_duty": "on",
        },
    )
    page = client.get(url(Salesperson, "change", stranger.pk))

    stranger.refresh_from_db()
    assert (stranger.dealer.slug, stranger.role) == ("zuid", "salesperson")
    assert {"dealer", "role"} <= set(page.context["adminform"].readonly_fields)


def test_staff_cannot_make_themselves_superuser_or_edit_a_superuser(
    client, world, dealer_b, stranger, django_user_model
):
    boss = make_staff(dealer_b, "boss", "Bo", Salesperson.Role.MANAGER, "")
    boss.user.is_superuser = True
    boss.user.save()
    client.force_login(stranger.user)

    client.post(
        url(django_user_model, "change", stranger.user_id),
        {
            "username": "zuid-chef",
            "is_superuser": "on",
            "is_staff": "on",
            "is_active": "on",
            "groups": [Group.objects.get().pk],
            "date_joined_0": "2026-11-23",
            "date_joined_1": "10:00:00",
        },
    )

    stranger.user.refresh_from_db()
    assert not stranger.user.is_superuser
    assert not stranger.user.groups.exists()
    assert client.get(url(django_user_model, "change", boss.user_id)).status_code == 302


def test_new_sign_in_made_by_dealer_staff_works_at_their_dealer(
    client, world, dealer_b, stranger, django_user_model
):
    client.force_login(stranger.user)

    client.post(
        url(django_user_model, "add"),
        {
            "username": "new-rep",
            "password1": "x7!long-enough-pass",
            "password2": "x7!long-enough-pass",
            "usable_password": "true",
        },
    )

    assert django_user_model.objects.get(username="new-rep").salesperson.dealer == dealer_b


def test_superuser_still_sees_every_dealer(client, world, admin_user):
    client.force_login(admin_user)

    page = client.get(url(Lead, "changelist"))

    assert {lead.last_name for lead in page.context["cl"].result_list} == {"Nordmann", "Zuidema"}
