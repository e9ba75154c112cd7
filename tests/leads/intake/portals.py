"""Realistic bodies for each portal format, and the requests that carry them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from django.urls import reverse

from tests.conftest import TOKEN_A

META_APP_SECRET = "meta-app-secret-for-tests"


def adf_document(
    *,
    prospect_id: str = "as24-4711",
    provider: str = "AutoScout24",
    first: str = "Anna",
    last: str = "Schmidt",
    email: str = "anna.schmidt@example.de",
    phone: str = "0171 1234567",
    make: str = "Volkswagen",
    model: str = "Golf",
    comments: str = "Ist der Golf noch verfügbar?",
    encoding: str = "UTF-8",
) -> bytes:
    xml = f"""<?xml version="1.0" encoding="{encoding}"?>
<?adf version="1.0"?>
<adf>
  <prospect status="new">
    <id sequence="1" source="{provider}">{prospect_id}</id>
    <requestdate>2026-11-23T09:58:00+01:00</requestdate>
    <vehicle interest="buy" status="used">
      <year>2023</year>
      <make>{make}</make>
      <model>{model}</model>
      <stock>A1234</stock>
      <price type="asking" currency="EUR">21.990,00</price>
    </vehicle>
    <customer>
      <contact>
        <name part="first">{first}</name>
        <name part="last">{last}</name>
        <email>{email}</email>
        <phone type="cellphone">{phone}</phone>
      </contact>
      <comments>{comments}</comments>
    </customer>
    <vendor><contact><name part="full">Autohaus Nord</name></contact></vendor>
    <provider><name part="full">{provider}</name></provider>
  </prospect>
</adf>
"""
    return xml.encode(encoding)


def post_adf(client, slug: str, body: bytes, *, token: str | None = TOKEN_A, **extra):
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    content_type = extra.pop("content_type", "application/xml")
    return client.post(
        reverse("lead-webhook", args=[slug]), data=body, content_type=content_type, **extra
    )


def google_lead(
    *,
    key: str = "google-key-a",
    lead_id: str = "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789",
    name: str = "Anna Schmidt",
    email: str = "anna.schmidt@example.de",
    phone: str = "+49 171 1234567",
    is_test: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "user_column_data": [
            {"column_name": "Full Name", "string_value": name, "column_id": "FULL_NAME"},
            {"column_name": "User Email", "string_value": email, "column_id": "EMAIL"},
            {"column_name": "User Phone", "string_value": phone, "column_id": "PHONE_NUMBER"},
            {
                "column_name": "Which vehicle model are you interested in?",
                "string_value": "Tiguan",
                "column_id": "VEHICLE_MODEL",
            },
            {
                "column_name": "When do you plan to purchase a vehicle?",
                "string_value": "Within 1 month",
                "column_id": "VEHICLE_PURCHASE_TIMELINE",
            },
        ],
        "api_version": "1.0",
        "form_id": 40000000,
        "campaign_id": 12345,
        "google_key": key,
        "is_test": is_test,
        "gcl_id": "EAIaIQobChMI-gclid",
        "adgroup_id": 20000000,
        "creative_id": 30000000,
        "lead_submit_time": "2026-11-23T08:59:00Z",
        **extra,
    }


def post_google(client, slug: str, body: dict | bytes):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(
        reverse("google-ads-webhook", args=[slug]), data=data, content_type="application/json"
    )


def meta_notification(*leadgen_ids: str, page_id: str = "102938475610293") -> bytes:
    changes = [
        {
            "field": "leadgen",
            "value": {
                "ad_id": "23851234567890123",
                "form_id": "1234567890123456",
                "leadgen_id": leadgen_id,
                "created_time": 1795424640,
                "page_id": page_id,
            },
        }
        for leadgen_id in leadgen_ids
    ]
    body = {"object": "page", "entry": [{"id": page_id, "time": 1795424641, "changes": changes}]}
    return json.dumps(body).encode()


def meta_lead(
    leadgen_id: str,
    *,
    name: str = "Anna Schmidt",
    email: str = "anna.schmidt@example.de",
    phone: str = "+4917112345678",
) -> dict[str, Any]:
    return {
        "id": leadgen_id,
        "created_time": "2026-11-23T09:04:00+0000",
        "ad_id": "23851234567890123",
        "form_id": "1234567890123456",
        "platform": "ig",
        "field_data": [
            {"name": "full_name", "values": [name]},
            {"name": "email", "values": [email]},
            {"name": "phone_number", "values": [phone]},
            {"name": "which_model_are_you_interested_in?", "values": ["ID.4 Pro"]},
        ],
    }


def meta_signature(body: bytes, secret: str = META_APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_meta(client, slug: str, body: bytes, *, signature: str | None = None):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature or meta_signature(body)}
    return client.post(
        reverse("meta-webhook", args=[slug]), data=body, content_type="application/json", **headers
    )


WEBHOOK_SECRET = "postmark:inbound-secret"


def postmark_inbound(
    *,
    to: str = "leads@nord.example",
    subject: str = "Neue Anfrage über AutoScout24",
    text: str = "",
    html: str = "",
    attachments: list[tuple[str, str, bytes]] = (),
    message_id: str = "<20261123095800.4711@mailer.autoscout24.example>",
) -> dict[str, Any]:
    """A Postmark inbound webhook payload (https://postmarkapp.com/developer/webhooks/inbound-webhook)."""
    return {
        "FromName": "AutoScout24",
        "MessageStream": "inbound",
        "From": "noreply@autoscout24.example",
        "FromFull": {"Email": "noreply@autoscout24.example", "Name": "AutoScout24"},
        "To": to,
        "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": to,
        "Subject": subject,
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Mon, 23 Nov 2026 09:58:00 +0100",
        "TextBody": text,
        "HtmlBody": html,
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": "<bounce@autoscout24.example>"},
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "X-Spam-Score", "Value": "-0.1"},
            {"Name": "Message-ID", "Value": message_id},
        ],
        "Attachments": [
            {
                "Name": name,
                "Content": base64.b64encode(content).decode(),
                "ContentType": content_type,
                "ContentLength": len(content),
            }
            for name, content_type, content in attachments
        ],
    }


def post_postmark(client, payload: dict[str, Any], *, secret: str = WEBHOOK_SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return client.post(
        "/anymail/postmark/inbound/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )
