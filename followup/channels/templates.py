"""Which words a message uses: the dealer's own templates, else the built-in ones
(``channels.texts``: German, English, Dutch and French)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import formats, translation

from followup.booking.links import booking_url
from followup.channels.context import first_message_context
from followup.channels.texts import (
    APPOINTMENT,
    CATEGORY,
    CLOSE,
    DEFAULTS,
    FIRST,
    FIRST_BY_INTENT,
    FIRST_PURPOSES,
    FOLLOWUP,
    FREE_LABELS,
    MARKETING,
    REMINDER,
    UTILITY,
    VEHICLE_FALLBACK,
)
from followup.models import MessageTemplate
from followup.staffing import first_call_promise
from leads.intent import lead_intent
from leads.models import Lead
from leads.offers import vehicle_offer

__all__ = [
    "APPOINTMENT",
    "CLOSE",
    "FIRST",
    "FOLLOWUP",
    "FREE",
    "MARKETING",
    "REMINDER",
    "UTILITY",
]

FREE = "free"  # a salesperson's own words instead of a template

# Sent when a salesperson found the customer's phone number to be wrong.
PHONE_CHECK = "phone_check"
# Offered to salespeople on the lead page; appointment messages go out by appointment_booked.
MANUAL_PURPOSES = (FIRST, FOLLOWUP, CLOSE)


@dataclass(frozen=True)
class Resolved:
    """A template ready to render for one lead."""

    channel: str
    purpose: str
    language: str
    label: str
    subject: str
    body: str
    content_sid: str = ""
    variables: list[str] = field(default_factory=list)
    approved: bool = False
    category: str = UTILITY

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.purpose}"


def language_of(lead: Lead) -> str:
    """The lead's language when we write it, else the dealer's."""
    known = {code for code, _name in settings.LANGUAGES}
    for candidate in (lead.language, lead.dealer.language):
        code = (candidate or "").lower().split("-")[0]
        if code in known:
            return code
    return settings.LANGUAGE_CODE


def first_purpose(lead: Lead) -> str:
    """The first answer written for the customer's question (availability, price, …)."""
    return FIRST_BY_INTENT.get(lead_intent(lead), FIRST)


def category_of(purpose: str) -> str:
    """Meta's category: replies and appointments are utility, nudges are marketing."""
    return CATEGORY.get(purpose, MARKETING)


def template_resolve(
    *, lead: Lead, channel: str, purpose: str, language: str | None = None
) -> Resolved | None:
    """The dealer's template for this purpose and language, else the built-in one."""
    return template_for_dealer(
        dealer_id=lead.dealer_id,
        channel=channel,
        purpose=purpose,
        language=language or language_of(lead),
    )


def template_for_dealer(
    *, dealer_id: int, channel: str, purpose: str, language: str
) -> Resolved | None:
    own = {
        t.language: t
        for t in MessageTemplate.objects.filter(
            dealer_id=dealer_id, channel=channel, purpose=purpose
        )
    }
    chosen = own.get(language)
    default = DEFAULTS.get((purpose, language))
    if chosen is not None and (chosen.body or default is None):
        return Resolved(
            channel=channel,
            purpose=purpose,
            language=language,
            label=chosen.label or (default or {}).get("label", purpose),
            subject=chosen.subject or (default or {}).get("subject", ""),
            body=chosen.body,
            content_sid=chosen.content_sid,
            variables=list(chosen.variables or []),
            approved=chosen.is_approved,
            category=chosen.category or category_of(purpose),
        )
    if default is not None:
        # A row without text of its own only carries the Twilio content of the built-in text.
        return Resolved(
            channel=channel,
            purpose=purpose,
            language=language,
            label=default["label"],
            subject=default["subject"],
            body=default["body"],
            content_sid=chosen.content_sid if chosen is not None else "",
            variables=(
                list(chosen.variables or [])
                if chosen is not None
                else variables_of(default["body"])
            ),
            approved=chosen.is_approved if chosen is not None else False,
            category=category_of(purpose),
        )
    # A purpose the dealer wrote in another language only: better than nothing.
    if own:
        other = next(iter(own.values()))
        return template_for_dealer(
            dealer_id=dealer_id, channel=channel, purpose=purpose, language=other.language
        )
    return None


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# What a text may use (the manager's template page lists and checks them).
PLACEHOLDER_NAMES = (
    "first_name",
    "customer_name",
    "vehicle",
    "vehicle_line",
    "price",
    "stock_number",
    "availability",
    "next_step",
    "sender",
    "salesperson",
    "dealer",
    "appointment",
)


def variables_of(body: str) -> list[str]:
    """The placeholder names of a text in order of first appearance: {{1}}, {{2}}, …"""
    return list(dict.fromkeys(_PLACEHOLDER.findall(body)))


def content_body(body: str) -> str:
    """The text as a Twilio content template: ``{first_name}`` becomes ``{{1}}``, …"""
    numbers = {name: i for i, name in enumerate(variables_of(body), 1)}
    return _PLACEHOLDER.sub(lambda m: f"{{{{{numbers[m[1]]}}}}}", body)


def templates_available(*, lead: Lead, channel: str) -> list[Resolved]:
    """The manual templates for ``channel``: the built-in purposes plus the dealer's own; the
    first answer is the one written for the customer's question."""
    language = language_of(lead)
    purposes = [first_purpose(lead), FOLLOWUP, CLOSE]
    for purpose in (
        MessageTemplate.objects.filter(dealer_id=lead.dealer_id, channel=channel, manual=True)
        .exclude(purpose__in=[*FIRST_PURPOSES, FOLLOWUP, CLOSE, APPOINTMENT, REMINDER])
        .values_list("purpose", flat=True)
        .distinct()
    ):
        purposes.append(purpose)
    found = [
        template_resolve(lead=lead, channel=channel, purpose=purpose, language=language)
        for purpose in purposes
    ]
    return [t for t in found if t is not None]


def free_label(language: str) -> str:
    return FREE_LABELS.get(language, FREE_LABELS["en"])


def placeholders(*, lead: Lead, language: str, extra: dict[str, Any] | None = None) -> dict:
    """Every placeholder a text may use, filled for this lead (strings only), plus ``card``."""
    dealer = lead.dealer
    salesperson = lead.assigned_to.display_name if lead.assigned_to else dealer.name
    vehicle = lead.vehicle or VEHICLE_FALLBACK.get(language, VEHICLE_FALLBACK["en"])
    values: dict[str, Any] = {
        "first_name": lead.first_name or lead.customer_name,
        "customer_name": lead.customer_name,
        "vehicle": vehicle,
        "dealer": dealer.name,
        "salesperson": salesperson,
        "appointment": appointment_text(lead=lead, language=language),
    }
    values.update(
        first_message_context(
            lead=lead,
            language=language,
            vehicle=vehicle,
            # The dealer's stock says whether the car is still there (and what is like it).
            offer=vehicle_offer(lead=lead),
            # A preview's made-up customer has no page to book on.
            booking_url=booking_url(lead=lead) if lead.pk else "",
            call_at=first_call_promise(lead=lead) if lead.pk else None,
        )
    )
    values.update(extra or {})
    return values


def appointment_text(*, lead: Lead, language: str) -> str:
    """The appointment's date and time as the customer reads it: the dealer's local time."""
    if lead.appointment_at is None:
        return ""
    local = lead.appointment_at.astimezone(lead.dealer.tz)
    with translation.override(language):
        return formats.date_format(local, "DATETIME_FORMAT")


def render(text: str, values: dict[str, Any]) -> str:
    """Fill ``{name}`` placeholders. Unknown names stay as written; a plain substitution
    rather than str.format, so a dealer's template can't reach into Python objects."""

    def fill(match: re.Match[str]) -> str:
        value = values.get(match[1])
        # Only text: "{card}" (a dict for the email's table) stays as written.
        return value if isinstance(value, str) else match[0]

    filled = _PLACEHOLDER.sub(fill, text)
    # "Hallo ," when the lead gave no name.
    return re.sub(r"[ \t]+,", ",", filled)


def content_variables(resolved: Resolved, values: dict[str, Any]) -> dict[str, str]:
    """Twilio's ContentVariables: {"1": …, "2": …} in the template's variable order. WhatsApp
    refuses empty values and line breaks inside one."""
    out = {}
    for i, name in enumerate(resolved.variables, 1):
        value = " ".join(str(values.get(name, "")).split())
        out[str(i)] = value or "-"
    return out
