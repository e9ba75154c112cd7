"""Give a person their data (GDPR Art. 15 and 20): everything the lead pages show, and more.

One structure serves both the JSON download and the readable page, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst

from dealers.models import Dealer
from followup.models import Attempt, Call, InboundMessage, OutboundMessage
from leads.labels import action_label
from leads.models import IntakeRecord, Lead
from leads.timeline import event_line
from leads.views import lead_channels, lead_upcoming
from privacy.identity import Person

LEAD_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_channel",
    "language",
    "postal_code",
    "source",
    "sources",
    "external_id",
    "received_at",
    "status",
    "lost_reason",
    "vehicle_make",
    "vehicle_model",
    "vehicle_year",
    "vehicle_condition",
    "vehicle_stock_number",
    "vehicle_vin",
    "vehicle_price",
    "message",
    "consent_phone",
    "consent_email",
    "consent_whatsapp",
    "opted_out_at",
    "appointment_at",
    "reached_at",
    "showed_at",
    "sold_at",
    "lost_at",
    "erased_at",
]


def as_json(value: Any) -> Any:
    """json.dumps(default=...): local ISO times, decimals as text."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    # Values stay Python objects for the page (formatted like the lead page); as_json above
    # turns them into text for the download.
    return value


def person_export(*, dealer: Dealer, person: Person) -> dict[str, Any]:
    """All this dealer holds about the person, in the active language and time zone."""
    match = Q()
    if person.phone:
        match |= Q(phone=person.phone)
    if person.email:
        match |= Q(email=person.email)
    leads = list(
        Lead.objects.filter(dealer=dealer)
        .filter(match)
        .select_related("assigned_to__user")
        .order_by("received_at")
    )
    lead_ids = [lead.pk for lead in leads]
    unmatched = InboundMessage.objects.filter(
        dealer=dealer, lead__isnull=True, sender__in=person.senders
    ).order_by("received_at")
    return {
        "dealer": dealer.name,
        "exported_at": _plain(timezone.now()),
        "searched_for": {"phone": person.phone, "email": person.email},
        "leads": [_lead(lead) for lead in leads],
        "unmatched_replies": [_inbound(m) for m in unmatched],
        "intake_requests": [
            {
                "lead": record.lead_id,
                "received_at": _plain(record.received_at),
                "source": record.source,
                "format": record.format,
                "outcome": record.get_outcome_display(),
                "body": record.body_text,
            }
            for record in IntakeRecord.objects.filter(lead_id__in=lead_ids).order_by("received_at")
        ],
    }


def _lead(lead: Lead) -> dict[str, Any]:
    data = {name: _plain(getattr(lead, name)) for name in LEAD_FIELDS}
    data["id"] = lead.pk
    data["status_label"] = lead.get_status_display()
    data["preferred_channel_label"] = lead.get_preferred_channel_display()
    data["salesperson"] = lead.assigned_to.display_name if lead.assigned_to else ""
    # Consent per channel as the lead page shows it (the contact policy's view, with its source).
    data["consent"] = [
        {
            "channel": c["channel"],
            "text": f"{capfirst(str(c['label']))}: {c['state_label']}",
            "source": str(c["source"]),
        }
        for c in lead_channels(lead)
    ]
    data["timeline"] = [
        {
            "at": _plain(event.at),
            "what": event_line(event),
            "note": event.note,
            "by": event.actor.display_name if event.actor else "LeadFlow",
        }
        for event in lead.events.select_related("actor__user").order_by("at", "id")
    ]
    data["condition_label"] = lead.get_vehicle_condition_display()
    data["vehicle"] = lead.vehicle
    data["upcoming"] = [
        {"due_at": item.due_at, "what": action_label(item.label)} for item in lead_upcoming(lead)
    ]
    data.update(_contact_history(lead))
    return data


def _contact_history(lead: Lead) -> dict[str, list[dict[str, Any]]]:
    """Every attempt, call, message and reply, oldest first."""
    data: dict[str, list[dict[str, Any]]] = {}
    data["attempts"] = [
        {
            "due_at": _plain(a.due_at),
            "channel": a.get_channel_display(),
            "status": a.get_status_display(),
            "outcome": a.outcome,
        }
        for a in Attempt.objects.filter(lead=lead).order_by("due_at", "id")
    ]
    data["calls"] = [
        {
            "at": _plain(c.created_at),
            "leg": c.get_leg_display(),
            "to": c.to if c.leg == Call.Leg.CUSTOMER else "",
            "status": c.get_status_display(),
            "duration": c.duration,
        }
        for c in Call.objects.filter(lead=lead).order_by("created_at", "id")
    ]
    data["messages_sent"] = [
        {
            "at": _plain(m.created_at),
            "channel": m.get_channel_display(),
            "to": m.to,
            "subject": m.subject,
            "text": m.body,
            "status": m.get_status_display(),
        }
        for m in OutboundMessage.objects.filter(lead=lead).order_by("created_at", "id")
    ]
    data["replies"] = [
        _inbound(m) for m in InboundMessage.objects.filter(lead=lead).order_by("received_at")
    ]
    return data


def _inbound(message: InboundMessage) -> dict[str, Any]:
    return {
        "at": _plain(message.received_at),
        "channel": message.get_channel_display(),
        "from": message.sender,
        "text": message.text,
    }
