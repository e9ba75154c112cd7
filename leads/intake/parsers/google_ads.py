"""Google Ads lead form webhook JSON in, (google_key, canonical lead dict) out.

Google posts one lead per request::

    {"lead_id": "…", "api_version": "1.0", "form_id": 1, "campaign_id": 2, "google_key": "…",
     "is_test": true, "gcl_id": "…", "adgroup_id": 3, "creative_id": 4,
     "user_column_data": [{"column_name": "Full Name", "string_value": "…",
                           "column_id": "FULL_NAME"}, …]}

``google_key`` is the shared secret the advertiser typed into the form's webhook settings; it is
returned separately so the view can check it against the dealer's before trusting anything else.
"""

from __future__ import annotations

import json
import re
from typing import Any

from leads.intake.parsers import PayloadError, as_text
from leads.intake.parsers.canonical import FormAnswers, canonical_lead
from leads.intake.parsers.json_lead import parse_json_lead

__all__ = ["parse_google_ads"]

# column_id -> (section, key). Names follow Google Ads' LeadFormFieldUserInputType; the webhook
# spells given/family name as FIRST_NAME/LAST_NAME, the API enum as GIVEN_NAME/FAMILY_NAME.
_CUSTOMER_COLUMNS = {
    "FIRST_NAME": "first_name",
    "GIVEN_NAME": "first_name",
    "LAST_NAME": "last_name",
    "FAMILY_NAME": "last_name",
    "EMAIL": "email",
    "PHONE_NUMBER": "phone",
    "POSTAL_CODE": "postal_code",
}
_ADDRESS_COLUMNS = {
    "STREET_ADDRESS": "street",
    "CITY": "city",
    "REGION": "region",
    "COUNTRY": "country",
    "POSTAL_CODE": "postal_code",
}
# Used only when the personal variant is missing: a work number still reaches the customer.
_FALLBACK_COLUMNS = {"WORK_EMAIL": "email", "WORK_PHONE": "phone"}

_NEW_WORDS = ("new", "neu", "nuevo", "neuf", "nuovo")
_USED_WORDS = ("used", "pre-owned", "preowned", "gebraucht", "occasion", "usado", "certified")

# Top-level fields worth keeping for reporting and support tickets (Google asks for lead_id and
# the ids when one reports a problem with a lead).
_META_FIELDS = (
    "api_version",
    "form_id",
    "campaign_id",
    "adgroup_id",
    "creative_id",
    "asset_group_id",
    "gcl_id",
    "lead_stage",
)


def parse_google_ads(body: bytes) -> tuple[str, dict[str, Any]]:
    """Return ``(google_key, lead)``; ``google_key`` is ``""`` when the body has none.

    ``source`` is always ``"google-ads"``, ``external_id`` is ``lead_id``, ``is_test`` is set
    from the body (False when absent). Known columns map onto customer/vehicle fields; every
    other column becomes a ``"Column Name: value"`` line of ``message``. Google's ids (form,
    campaign, ad group, creative, click id) are kept under ``lead["google_ads"]``.
    """
    data = parse_json_lead(body)
    columns = data.get("user_column_data")
    if columns is None:
        columns = []
    if not isinstance(columns, list):
        raise PayloadError("user_column_data must be a list")

    key = data.get("google_key")
    google_key = key if isinstance(key, str) else ""

    lead = canonical_lead(
        source="google-ads",
        answers=_read_columns(columns),
        external_id=as_text(data.get("lead_id")),
        received_at=as_text(data.get("lead_submit_time")),
        is_test=data.get("is_test") is True or as_text(data.get("is_test")).lower() == "true",
    )
    lead["google_ads"] = {
        field: data[field] for field in _META_FIELDS if _is_scalar(data.get(field))
    }
    return google_key, lead


def _read_columns(columns: list[Any]) -> FormAnswers:
    answers = FormAnswers()
    for column in columns:
        if not isinstance(column, dict):
            continue
        column_id = as_text(column.get("column_id")).upper()
        value = as_text(column.get("string_value"))
        label = as_text(column.get("column_name")) or column_id.replace("_", " ").capitalize()
        if value:
            _sort_column(answers, column_id, label, value)
    return answers


def _sort_column(answers: FormAnswers, column_id: str, label: str, value: str) -> None:
    if column_id == "FULL_NAME":
        answers.full_name = value
    elif column_id in _CUSTOMER_COLUMNS or column_id in _ADDRESS_COLUMNS:
        if column_id in _CUSTOMER_COLUMNS:
            answers.customer.setdefault(_CUSTOMER_COLUMNS[column_id], value)
        if column_id in _ADDRESS_COLUMNS:
            answers.address.setdefault(_ADDRESS_COLUMNS[column_id], value)
    elif column_id in _FALLBACK_COLUMNS:
        answers.fallbacks.setdefault(_FALLBACK_COLUMNS[column_id], value)
    elif column_id == "VEHICLE_MODEL":
        answers.vehicle.setdefault("model", value)
    elif column_id == "VEHICLE_CONDITION" and (condition := _condition(value)):
        answers.vehicle.setdefault("condition", condition)
    elif column_id == "PREFERRED_CONTACT_METHOD" and (channel := _channel(value)):
        answers.customer.setdefault("preferred_channel", channel)
    else:
        # Vehicle type, preferred dealership, purchase timeline, custom questions: nothing in
        # the canonical dict for them, but the salesperson should read them before calling.
        answers.lines.append(f"{label}: {value}")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool) and value != ""


def _condition(value: str) -> str:
    lowered = value.lower()
    if any(word in lowered for word in _USED_WORDS):
        return "used"
    if any(word in lowered for word in _NEW_WORDS):
        return "new"
    return ""


def _channel(value: str) -> str:
    lowered = value.lower()
    if "whatsapp" in lowered:
        return "whatsapp"
    if "mail" in lowered:
        return "email"
    if any(word in lowered for word in ("phone", "call", "telefon", "anruf", "sms", "text")):
        return "phone"
    return ""


_KEY_VALUE = re.compile(rb'("google_key"\s*:\s*)"(?:[^"\\]|\\.)*"')


def without_google_key(body: bytes) -> bytes:
    """The body as it is kept (IntakeRecord): the shared secret blanked, every other byte as
    received. Replays do not need it: the key was checked when the request arrived."""
    redacted = _KEY_VALUE.sub(rb'\1""', body)
    try:
        key, _lead = parse_google_ads(redacted)
    except PayloadError:
        return redacted
    if key:  # spelled with escapes ("google\u005fkey"): rewrite the JSON instead
        data = json.loads(redacted)
        data.pop("google_key", None)
        return json.dumps(data, ensure_ascii=False).encode()
    return redacted
