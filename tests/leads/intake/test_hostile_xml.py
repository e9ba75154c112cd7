"""Hostile bodies at the HTTP level: each is a clear 4xx, recorded, with bounded memory and no lead."""

from __future__ import annotations

import io
import json
import tracemalloc

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory

from leads.intake import views as intake_views
from leads.models import IntakeRecord, Lead
from tests.conftest import TOKEN_A
from tests.leads.intake.portals import (
    adf_document,
    meta_signature,
    post_adf,
    post_google,
    post_meta,
)
from tests.leads.intake.test_parse_adf import BILLION_LAUGHS


def with_doctype(doctype: str, name: str = "Anna") -> bytes:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<adf><prospect><customer><contact>'
        f'<name part="full">{name}</name><phone>0171 1234567</phone>'
        "</contact></customer></prospect></adf>"
    ).encode()


@pytest.fixture
def listener(meta_graph):
    """A local HTTP server that must never be contacted by a parser."""
    return meta_graph


def assert_refused(response, status: int, *, words: str) -> IntakeRecord:
    assert response.status_code == status
    body = json.loads(response.content)
    assert words in body["error"]
    assert Lead.objects.count() == 0
    record = IntakeRecord.objects.get(pk=body["intake_id"])
    assert (record.outcome, record.status_code) == ("rejected", status)
    return record


def test_billion_laughs_is_refused(client, dealer_a, rep_a1):
    tracemalloc.start()
    try:
        response = post_adf(client, "nord", BILLION_LAUGHS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert_refused(response, 400, words="DTD")
    assert peak < 5_000_000


def test_xxe_reading_a_local_file_is_refused(client, dealer_a, rep_a1):
    body = with_doctype('<!DOCTYPE adf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;")

    response = post_adf(client, "nord", body)

    assert_refused(response, 400, words="DTD")
    assert b"root:" not in response.content


def test_xxe_over_http_is_refused_without_a_request(client, dealer_a, rep_a1, listener):
    url = listener.base_url + "/xxe"
    body = with_doctype(f'<!DOCTYPE adf [<!ENTITY xxe SYSTEM "{url}">]>', "&xxe;")

    response = post_adf(client, "nord", body)

    assert_refused(response, 400, words="DTD")
    assert listener.requests == []


def test_external_dtd_is_refused_without_a_request(client, dealer_a, rep_a1, listener):
    body = with_doctype(f'<!DOCTYPE adf SYSTEM "{listener.base_url}/adf.dtd">')

    response = post_adf(client, "nord", body)

    assert_refused(response, 400, words="DTD")
    assert listener.requests == []


def test_parameter_entity_in_a_dtd_is_refused(client, dealer_a, rep_a1, listener):
    body = with_doctype(
        f'<!DOCTYPE adf [<!ENTITY % remote SYSTEM "{listener.base_url}/evil.dtd"> %remote;]>'
    )

    assert_refused(post_adf(client, "nord", body), 400, words="DTD")
    assert listener.requests == []


def test_ten_thousand_elements_are_refused(client, dealer_a, rep_a1):
    body = b"<adf><prospect>" + b"<x/>" * 10_000 + b"</prospect></adf>"
    tracemalloc.start()
    try:
        response = post_adf(client, "nord", body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert_refused(response, 400, words="more than 5000 elements")
    assert peak < 5_000_000


def test_deep_nesting_is_refused(client, dealer_a, rep_a1):
    body = b"<adf>" + b"<x>" * 10_000 + b"</x>" * 10_000 + b"</adf>"

    assert_refused(post_adf(client, "nord", body), 400, words="nested deeper")


class ZeroStream(io.RawIOBase):
    """A request body that is produced as it is read and counts what was read."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.remaining)
        buffer[:n] = b"<" * n
        self.remaining -= n
        self.read_bytes += n
        return n


@pytest.mark.parametrize(
    ("view", "path", "content_type"),
    [
        (intake_views.lead_webhook, "/hooks/nord/leads/", "application/xml"),
        (intake_views.lead_webhook, "/hooks/nord/leads/", "application/json"),
        (intake_views.google_ads_webhook, "/hooks/nord/google-ads/", "application/json"),
        (intake_views.meta_webhook, "/hooks/nord/meta/", "application/json"),
    ],
    ids=["adf", "json", "google-ads", "meta"],
)
def test_ten_megabyte_body_is_413_reading_only_the_limit(
    dealer_a, rep_a1, view, path, content_type
):
    size = 10 * 1024 * 1024
    stream = ZeroStream(size)
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(size),
        HTTP_AUTHORIZATION=f"Bearer {TOKEN_A}",
        HTTP_X_HUB_SIGNATURE_256="sha256=00",
    )
    environ["wsgi.input"] = io.BufferedReader(stream)
    request = WSGIRequest(environ)
    tracemalloc.start()
    try:
        response = view(request, dealer_slug="nord")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    record = assert_refused(response, 413, words="over the limit")
    assert record.body_size == size
    assert len(record.body) <= settings.LEADFLOW_MAX_BODY_BYTES
    assert stream.read_bytes <= settings.LEADFLOW_MAX_BODY_BYTES + 64 * 1024
    assert peak < 8 * settings.LEADFLOW_MAX_BODY_BYTES


def test_ten_megabyte_body_through_the_test_client_is_413(client, dealer_a, rep_a1):
    body = adf_document() + b"<!--" + b"x" * (10 * 1024 * 1024) + b"-->"

    record = assert_refused(post_adf(client, "nord", body), 413, words="over the limit")
    assert record.body_size == len(body)


def test_invalid_utf8_json_is_400(client, dealer_a, rep_a1):
    body = b'{"customer": {"first_name": "Ann\xc3\x28", "phone": "0171 1234567"}}'
    response = client.post(
        "/hooks/nord/leads/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN_A}",
    )

    record = assert_refused(response, 400, words="not UTF-8")
    assert bytes(record.body) == body


def test_adf_with_nul_and_control_bytes_is_400_and_still_recorded(client, dealer_a, rep_a1):
    body = adf_document().replace(b"Anna", b"An\x00\xff\xfe\x01na")

    record = assert_refused(post_adf(client, "nord", body), 400, words="not well-formed")
    # Recorded byte for byte, NUL included (bytea holds what text could not).
    assert bytes(record.body) == body


def test_adf_utf16_bom_with_broken_utf16_is_400(client, dealer_a, rep_a1):
    body = b"\xff\xfe" + "<adf>".encode("utf-16-le") + b"\x00"

    assert_refused(post_adf(client, "nord", body), 400, words="UTF-16")


def test_invalid_utf8_google_body_is_400(client, dealer_a, rep_a1):
    body = b'{"google_key": "google-key-a", "lead_id": "\xff\xfe"}'

    assert_refused(post_google(client, "nord", body), 400, words="not UTF-8")


def test_invalid_utf8_meta_body_is_400_even_when_signed(client, dealer_a, meta_graph):
    body = b'{"object": "page", "entry": [\xff]}'

    response = post_meta(client, "nord", body, signature=meta_signature(body))

    assert_refused(response, 400, words="not UTF-8")
    assert meta_graph.requests == []


def test_adf_that_is_not_adf_is_400(client, dealer_a, rep_a1):
    body = json.dumps({"customer": {"phone": "0171 1234567"}}).encode()

    assert_refused(post_adf(client, "nord", body), 400, words="not well-formed")
