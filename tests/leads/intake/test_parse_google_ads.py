"""Google Ads lead form webhook → (google_key, canonical lead dict)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leads.intake.parsers import PayloadError
from leads.intake.parsers.google_ads import parse_google_ads
from leads.intake.parsers.json_lead import parse_json_lead

FIXTURES = Path(__file__).parent / "fixtures" / "google_ads"
PAYLOADS = sorted(p for p in FIXTURES.glob("*.json") if not p.name.endswith(".expected.json"))

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=15), children, max_size=5)
    ),
    max_leaves=25,
)
COLUMN_IDS = st.sampled_from(
    ["FULL_NAME", "FIRST_NAME", "LAST_NAME", "EMAIL", "PHONE_NUMBER", "POSTAL_CODE", "CITY",
     "VEHICLE_MODEL", "VEHICLE_CONDITION", "PREFERRED_CONTACT_METHOD", "WORK_EMAIL", "OTHER"]
)  # fmt: skip
GOOGLE_SHAPED = st.fixed_dictionaries(
    {
        "lead_id": JSON_VALUES,
        "google_key": JSON_VALUES,
        "is_test": JSON_VALUES,
        "user_column_data": st.lists(
            st.fixed_dictionaries(
                {"column_id": COLUMN_IDS | JSON_VALUES, "string_value": JSON_VALUES},
                optional={"column_name": JSON_VALUES},
            )
            | JSON_VALUES,
            max_size=8,
        )
        | JSON_VALUES,
    },
    optional={"form_id": JSON_VALUES, "lead_submit_time": JSON_VALUES, "gcl_id": JSON_VALUES},
)


def body_of(value: object) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.stem)
def test_google_ads_fixture_parses_to_expected_dict(path: Path):
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    google_key, lead = parse_google_ads(path.read_bytes())
    assert {"google_key": google_key, "lead": lead} == expected


def test_google_ads_test_lead_is_flagged_and_keyed():
    google_key, lead = parse_google_ads((FIXTURES / "test_lead.json").read_bytes())
    assert google_key == "secret-google-key-from-form-settings"
    assert lead["is_test"] is True
    assert lead["source"] == "google-ads"
    assert lead["external_id"].startswith("TeSter-123")


def test_google_ads_full_name_is_split():
    _, lead = parse_google_ads((FIXTURES / "test_lead.json").read_bytes())
    assert (lead["customer"]["first_name"], lead["customer"]["last_name"]) == (
        "FirstName",
        "LastName",
    )


def test_google_ads_vehicle_columns_map_to_vehicle():
    _, lead = parse_google_ads((FIXTURES / "dealership_form.json").read_bytes())
    assert lead["vehicle"] == {"model": "Golf Variant", "condition": "used"}
    assert lead["customer"]["preferred_channel"] == "whatsapp"


def test_google_ads_unknown_columns_become_message_lines():
    _, lead = parse_google_ads((FIXTURES / "dealership_form.json").read_bytes())
    lines = lead["message"].splitlines()
    assert "What is your preferred dealership?: Autohaus Beispiel Berlin-Mitte" in lines
    assert "Wann dürfen wir Sie anrufen?: Nach 17 Uhr" in lines
    # A column without a column_name is labelled from its column_id.
    assert "Trade in question: Yes" in lines


def test_google_ads_missing_google_key_is_empty_string():
    google_key, _ = parse_google_ads((FIXTURES / "work_contact_no_key.json").read_bytes())
    assert google_key == ""


def test_google_ads_non_string_google_key_is_empty_string():
    assert parse_google_ads(body_of({"google_key": 123})) == (
        "",
        {"source": "google-ads", "is_test": False, "google_ads": {}},
    )


def test_google_ads_work_contact_is_used_only_without_a_personal_one():
    body = body_of(
        {
            "user_column_data": [
                {"column_id": "WORK_EMAIL", "string_value": "work@example.com"},
                {"column_id": "EMAIL", "string_value": "me@example.com"},
            ]
        }
    )
    assert parse_google_ads(body)[1]["customer"] == {"email": "me@example.com"}


def test_google_ads_explicit_first_name_beats_full_name_split():
    body = body_of(
        {
            "user_column_data": [
                {"column_id": "FULL_NAME", "string_value": "Hans Peter Meier"},
                {"column_id": "FIRST_NAME", "string_value": "Hans-Peter"},
            ]
        }
    )
    customer = parse_google_ads(body)[1]["customer"]
    assert customer == {"first_name": "Hans-Peter", "last_name": "Meier"}


def test_google_ads_submit_time_becomes_received_at():
    _, lead = parse_google_ads((FIXTURES / "dealership_form.json").read_bytes())
    assert lead["received_at"] == "2026-11-23T09:04:00+00:00"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "not JSON"),
        (b"not json", "not JSON"),
        (b"\xff\xfe\x00junk", "not UTF-8"),
        (b"[]", "object"),
        (b'"a string"', "object"),
        (b'{"user_column_data": {"column_id": "EMAIL"}}', "user_column_data"),
        (b"[" * 100_000, "readable"),
        (b'{"lead_id": ' + b"9" * 5000 + b"}", "readable"),
    ],
    ids=[
        "empty",
        "not-json",
        "invalid-utf8",
        "array",
        "string",
        "columns-not-list",
        "deep",
        "huge-int",
    ],
)
def test_google_ads_unreadable_body_is_refused(body: bytes, words: str):
    with pytest.raises(PayloadError) as caught:
        parse_google_ads(body)
    assert words.lower() in caught.value.message.lower()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1024))
def test_parse_google_ads_raises_only_payload_error_on_arbitrary_bytes(body: bytes):
    with contextlib.suppress(PayloadError):
        parse_google_ads(body)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES | GOOGLE_SHAPED)
def test_parse_google_ads_raises_only_payload_error_on_arbitrary_json(value: object):
    try:
        google_key, lead = parse_google_ads(body_of(value))
    except PayloadError:
        return
    assert isinstance(google_key, str)
    assert lead["source"] == "google-ads"
    json.dumps(lead)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1024) | JSON_VALUES.map(body_of))
def test_parse_json_lead_raises_only_payload_error(body: bytes):
    with contextlib.suppress(PayloadError):
        assert isinstance(parse_json_lead(body), dict)
