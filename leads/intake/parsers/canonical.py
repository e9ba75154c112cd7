"""The canonical lead dict's shared parts: names and dates as every portal parser reads them,
and the one tail that turns a lead form's sorted answers into the canonical lead."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class FormAnswers:
    """A portal lead form's answers, sorted into the canonical lead's parts while reading."""

    customer: dict[str, Any] = field(default_factory=dict)
    address: dict[str, Any] = field(default_factory=dict)
    vehicle: dict[str, Any] = field(default_factory=dict)
    # Used only where the form left the customer's field empty (Google's work email, …).
    fallbacks: dict[str, str] = field(default_factory=dict)
    full_name: str = ""
    # Everything without a place in the canonical dict, for the salesperson to read.
    lines: list[str] = field(default_factory=list)


def canonical_lead(
    *, source: str, answers: FormAnswers, external_id: str, received_at: str, is_test: bool
) -> dict[str, Any]:
    """The canonical lead dict from a form's answers (Google Ads and Meta lead forms)."""
    customer = answers.customer
    if answers.full_name:
        first, last = split_full_name(answers.full_name)
        customer.setdefault("first_name", first)
        customer.setdefault("last_name", last)
    for name, value in answers.fallbacks.items():
        customer.setdefault(name, value)
    if answers.address:
        customer["address"] = answers.address
    lead: dict[str, Any] = {"source": source}
    if external_id:
        lead["external_id"] = external_id
    if received_at:
        lead["received_at"] = normalise_datetime(received_at)
    customer = {k: v for k, v in customer.items() if v}
    if customer:
        lead["customer"] = customer
    if answers.vehicle:
        lead["vehicle"] = answers.vehicle
    if answers.lines:
        lead["message"] = "\n".join(answers.lines)
    lead["is_test"] = is_test
    return lead


def split_full_name(full: str) -> tuple[str, str]:
    """Split "Anna Maria Schmidt" into ("Anna Maria", "Schmidt") and "Schmidt, Anna" likewise.

    Portals give one name box; salespeople greet by first name and sort by last, so a best guess
    beats nothing. A single word is taken as the first name.
    """
    full = " ".join(full.split())
    if not full:
        return "", ""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.rpartition(" ")
    if not first:
        return last, ""
    return first, last


def normalise_datetime(raw: str) -> str:
    """ISO 8601 in any of its spellings -> ``datetime.isoformat()``; anything else unchanged.

    An unparseable date is the validator's business, not a reason to refuse the whole lead.
    """
    raw = raw.strip()
    try:
        return datetime.fromisoformat(raw).isoformat()
    except ValueError:
        return raw
