"""Meta Lead Ads: signature check, webhook notification, Graph lead → canonical lead dict."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from leads.intake.parsers import PayloadError
from leads.intake.parsers.meta import map_meta_lead, meta_signature_valid, parse_meta_notification

FIXTURES = Path(__file__).parent / "fixtures" / "meta"
PAYLOADS = sorted(p for p in FIXTURES.glob("*.json") if not p.name.endswith(".expected.json"))
NOTIFICATIONS = [p for p in PAYLOADS if p.name.startswith("notification")]
LEADS = [p for p in PAYLOADS if p.name.startswith("lead")]
SECRET = "app-secret-0123456789abcdef"

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
FIELD_NAMES = st.sampled_from(
    ["full_name", "first_name", "email", "phone_number", "zip_code", "city", "vehicle",
     "car_model", "year", "new_or_used", "which_model_are_you_interested_in?", "Other?"]
)  # fmt: skip
META_LEAD_SHAPED = st.fixed_dictionaries(
    {
        "id": JSON_VALUES,
        "field_data": st.lists(
            st.fixed_dictionaries({"name": FIELD_NAMES | JSON_VALUES, "values": JSON_VALUES})
            | JSON_VALUES,
            max_size=8,
        )
        | JSON_VALUES,
    },
    optional={"created_time": JSON_VALUES, "is_organic": JSON_VALUES, "platform": JSON_VALUES},
)
NOTIFICATION_SHAPED = st.fixed_dictionaries(
    {
        "object": st.just("page") | JSON_VALUES,
        "entry": st.lists(
            st.fixed_dictionaries(
                {
                    "changes": st.lists(
                        st.fixed_dictionaries(
                            {"field": st.just("leadgen") | JSON_VALUES, "value": JSON_VALUES}
                        )
                        | JSON_VALUES,
                        max_size=4,
                    )
                    | JSON_VALUES
                }
            )
            | JSON_VALUES,
            max_size=4,
        )
        | JSON_VALUES,
    }
)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(value: object) -> bytes:
    return json.dumps(value).encode()


# --- signature ----------------------------------------------------------------------------------


def test_meta_signature_over_the_raw_body_is_valid():
    body = (FIXTURES / "notification.json").read_bytes()
    assert meta_signature_valid(body, sign(body), SECRET)


def test_meta_signature_hex_case_and_surrounding_space_do_not_matter():
    body = b'{"object": "page"}'
    assert meta_signature_valid(
        body, "  " + sign(body).upper().replace("SHA256=", "sha256=") + " ", SECRET
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=abc",
        "deadbeef",
        "sha256=" + "0" * 64,
        "sha256=zz",
        "sha256=ünïcødé",
    ],
)
def test_meta_signature_missing_or_wrong_is_invalid(header: str | None):
    assert not meta_signature_valid(b'{"object": "page"}', header, SECRET)


def test_meta_signature_with_another_secret_is_invalid():
    body = b'{"object": "page"}'
    assert not meta_signature_valid(body, sign(body, "other-secret"), SECRET)


def test_meta_signature_of_a_modified_body_is_invalid():
    body = b'{"object": "page"}'
    assert not meta_signature_valid(body + b" ", sign(body), SECRET)


def test_meta_signature_is_never_valid_with_an_empty_secret():
    body = b"{}"
    assert not meta_signature_valid(body, sign(body, ""), "")


# --- notification ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTIFICATIONS, ids=lambda p: p.stem)
def test_meta_notification_fixture_parses_to_expected_list(path: Path):
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    assert parse_meta_notification(path.read_bytes()) == expected


def test_meta_notification_skips_non_leadgen_changes_and_stringifies_ids():
    values = parse_meta_notification((FIXTURES / "notification.json").read_bytes())
    assert [v["leadgen_id"] for v in values] == ["987654321098765", "987654321098766"]
    assert values[1]["page_id"] == "102938475610293"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "not JSON"),
        (b"<xml/>", "not JSON"),
        (b"[1, 2]", "object"),
        (b'{"object": "page"}', "entry"),
        (b'{"entry": {"id": "1"}}', "entry"),
        (b'{"entry": ["x"]}', "entry"),
        (b'{"entry": [{"changes": "leadgen"}]}', "changes"),
        (b'{"entry": [{"changes": [1]}]}', "change"),
        (b'{"entry": [{"changes": [{"field": "leadgen"}]}]}', "value"),
        (
            b'{"entry": [{"changes": [{"field": "leadgen", "value": {"page_id": "1"}}]}]}',
            "leadgen_id",
        ),
        (b"[" * 100_000, "readable"),
    ],
)
def test_meta_notification_of_wrong_shape_is_refused(body: bytes, words: str):
    with pytest.raises(PayloadError) as caught:
        parse_meta_notification(body)
    assert words.lower() in caught.value.message.lower()


# --- Graph lead ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LEADS, ids=lambda p: p.stem)
def test_meta_lead_fixture_maps_to_expected_dict(path: Path):
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    assert map_meta_lead(json.loads(path.read_text("utf-8"))) == expected


def test_meta_lead_source_and_external_id():
    lead = map_meta_lead(json.loads((FIXTURES / "lead_standard.json").read_text("utf-8")))
    assert lead["source"] == "meta"
    assert lead["external_id"] == "987654321098765"
    assert lead["received_at"] == "2026-11-23T09:04:00+00:00"


def test_meta_lead_model_question_fills_vehicle_model():
    lead = map_meta_lead(json.loads((FIXTURES / "lead_standard.json").read_text("utf-8")))
    assert lead["vehicle"]["model"] == "ID.4 Pro"


def test_meta_lead_unknown_fields_become_message_lines_with_all_values():
    lead = map_meta_lead(json.loads((FIXTURES / "lead_standard.json").read_text("utf-8")))
    assert (
        "welche_extras_interessieren_sie?: Anhängerkupplung, Wärmepumpe"
        in lead["message"].splitlines()
    )


def test_meta_lead_from_the_testing_tool_is_a_test():
    lead = map_meta_lead(json.loads((FIXTURES / "lead_test_tool.json").read_text("utf-8")))
    assert lead["is_test"] is True


def test_meta_lead_renamed_standard_question_still_maps():
    lead = map_meta_lead({"id": 5, "field_data": [{"name": "Zip Code", "values": ["12345"]}]})
    assert lead["customer"]["postal_code"] == "12345"
    assert lead["external_id"] == "5"


@pytest.mark.parametrize(
    "value",
    [None, [], "lead", 3, {"field_data": "email"}, {"field_data": {"name": "email"}}],
)
def test_meta_lead_of_wrong_shape_is_refused(value: object):
    with pytest.raises(PayloadError):
        map_meta_lead(value)  # type: ignore[arg-type]


# --- property: nothing but PayloadError ---------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1024) | (JSON_VALUES | NOTIFICATION_SHAPED).map(body_of))
def test_parse_meta_notification_raises_only_payload_error(body: bytes):
    try:
        values = parse_meta_notification(body)
    except PayloadError:
        return
    assert all(isinstance(v, dict) and isinstance(v["leadgen_id"], str) for v in values)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES | META_LEAD_SHAPED)
def test_map_meta_lead_raises_only_payload_error(value: object):
    try:
        lead = map_meta_lead(value)  # type: ignore[arg-type]
    except PayloadError:
        return
    assert lead["source"] == "meta"
    json.dumps(lead)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=256), st.text(max_size=80) | st.none(), st.text(max_size=20))
@example(b"{}", "sha256=\udcff", "\udcff")
def test_meta_signature_valid_never_raises(body: bytes, header: str | None, secret: str):
    assert meta_signature_valid(body, header, secret) in (True, False)
