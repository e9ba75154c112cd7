"""A person with traces everywhere, and a way to look for them in every table and log line."""

from __future__ import annotations

import io
import logging
import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from leadflow.lib.logmask import PersonalDataFilter
from tests.conftest import TOKEN_A, sample_lead
from tests.fakes.twilio_signing import signed_post
from tests.leads.intake.portals import adf_document, post_adf

PHONE_E164 = "+491711234567"
PHONE_WRITTEN = "0171 1234567"
EMAIL = "anna.schmidt@example.de"
MESSAGE = "Ist der Golf noch verfügbar? Ich könnte Samstag vorbeikommen."
REPLY = "Ja, Samstag 11 Uhr passt mir gut."
UNMATCHED_REPLY = "Hallo, hier nochmal Anna wegen dem Golf"
NOTE = "Kundin bittet um Rückruf unter 0171/123 45 67"

# The number in every way it is written: E.164, without +, 0049, national, with spaces,
# slashes or dashes; the digits of the national number with any separators between them.
PHONE_ANY_FORMAT = re.compile(r"1[\s\-/.()]{0,3}" + r"[\s\-/.()]{0,3}".join("711234567"))


def traces(text: str) -> list[str]:
    found = [m.group(0) for m in PHONE_ANY_FORMAT.finditer(text)]
    found += re.findall(re.escape(EMAIL), text, flags=re.IGNORECASE)
    found += [t for t in (MESSAGE, REPLY, UNMATCHED_REPLY, NOTE, "Schmidt") if t in text]
    return found


def database_dump() -> str:
    """Every row of every table: pg_dump on PostgreSQL, SELECT * per table elsewhere."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env = {"PGPASSWORD": db.get("PASSWORD") or ""}
        command = ["pg_dump", "--data-only", "--no-owner", "-d", db["NAME"]]
        for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
            if db.get(key):
                command += [flag, str(db[key])]
        done = subprocess.run(command, capture_output=True, check=True, env=env, timeout=120)
        # bytea is dumped as hex: decode it so a raw body's bytes are searched too.
        text = done.stdout.decode()
        return text + "\n".join(
            bytes.fromhex(h).decode("latin-1") for h in re.findall(r"\\\\x([0-9a-f]+)", text)
        )
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                rows.append(
                    " | ".join(
                        bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v)
                        for v in row
                    )
                )
    return "\n".join(rows)


@contextmanager
def logs_as_configured(level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    """What the configured handlers would write: a stream handler with their filters."""
    root = logging.getLogger()
    configured = [h for h in root.handlers if not type(h).__module__.startswith("_pytest")]
    assert configured, "settings.LOGGING installs no handler on the root logger"
    for handler in configured:
        assert any(isinstance(f, PersonalDataFilter) for f in handler.filters), handler
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    for f in configured[0].filters:
        handler.addFilter(f)
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def post_lead(client, **overrides):
    return client.post(
        "/hooks/nord/leads/",
        data=sample_lead(**overrides),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN_A}",
    )


def whatsapp_from(client, text: str, *, sender: str = PHONE_E164):
    return signed_post(
        client,
        "/twilio/messages/inbound/",
        {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": settings.TWILIO_ACCOUNT_SID,
            "From": f"whatsapp:{sender}",
            "To": "whatsapp:+4940123456",
            "Body": text,
            "NumMedia": "0",
            "ProfileName": "Anna",
        },
        public_url=settings.LEADFLOW_PUBLIC_URL,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )


def rejected_adf(client):
    """A request the intake refused (no valid phone) that still carries the person's data."""
    return post_adf(client, "nord", adf_document(phone="12", email=EMAIL, prospect_id="bad-1"))
