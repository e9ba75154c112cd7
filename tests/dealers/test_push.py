"""Web Push to a salesperson's browsers, checked by a local push service at the wire."""

from __future__ import annotations

import pytest
from django.test import override_settings

from dealers.models import PushSubscription
from dealers.push import (
    PushNotice,
    PushOutcome,
    PushRefused,
    push_send,
    salesperson_push,
    subscription_save,
    vapid_public_key,
)
from leadflow.lib.envfile import vapid_private_key_new

NOTICE = PushNotice(title="New lead", body="Anna Schmidt · VW Golf", url="/leads/7/", tag="lead-7")


def _subscribe(push_service, salesperson, device="Pixel 8") -> PushSubscription:
    return push_service.subscribe(salesperson, device)


def test_notice_arrives_signed_and_encrypted(push_service, rep_a1):
    subscription = _subscribe(push_service, rep_a1)
    assert push_send(subscription=subscription, notice=NOTICE) is PushOutcome.SENT
    assert push_service.refused == []
    (delivery,) = push_service.delivered
    assert delivery.payload == {
        "title": "New lead",
        "body": "Anna Schmidt · VW Golf",
        "url": "/leads/7/",
        "tag": "lead-7",
    }
    assert delivery.claims["sub"] == "mailto:it@nord.example"
    assert int(delivery.headers["ttl"]) == 15 * 60
    subscription.refresh_from_db()
    assert subscription.working


def test_every_device_of_the_salesperson_gets_it(push_service, rep_a1, rep_a2):
    _subscribe(push_service, rep_a1, "phone")
    _subscribe(push_service, rep_a1, "desktop")
    _subscribe(push_service, rep_a2, "colleague")
    assert salesperson_push(salesperson=rep_a1, notice=NOTICE) == 2
    assert len(push_service.delivered) == 2


def test_a_gone_subscription_is_pruned(push_service, rep_a1):
    subscription = _subscribe(push_service, rep_a1)
    push_service.gone({"endpoint": subscription.endpoint})
    assert push_send(subscription=subscription, notice=NOTICE) is PushOutcome.GONE
    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()


def test_a_push_service_error_is_kept_on_the_device(push_service, rep_a1):
    subscription = _subscribe(push_service, rep_a1)
    push_service.fail_next(503)
    assert push_send(subscription=subscription, notice=NOTICE) is PushOutcome.FAILED
    subscription.refresh_from_db()
    assert subscription.last_failure == "push service answered 503"
    assert not subscription.working


def test_a_rotated_vapid_key_shows_the_device_failing(push_service, rep_a1):
    subscription = _subscribe(push_service, rep_a1)
    # The browser subscribed with one server key; the server now signs with another.
    with override_settings(LEADFLOW_VAPID_PRIVATE_KEY=vapid_private_key_new()):
        assert push_send(subscription=subscription, notice=NOTICE) is PushOutcome.FAILED
    assert push_service.refused == [(403, "VAPID key is not the one the browser subscribed with")]
    subscription.refresh_from_db()
    assert subscription.last_failure == "push service answered 403"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://10.0.0.5/internal-admin",
        "https://evil.example/push",
        "https://fcm.googleapis.com.evil.example/x",
    ],
)
def test_subscriptions_only_point_at_push_services(rep_a1, endpoint):
    with pytest.raises(PushRefused):
        subscription_save(salesperson=rep_a1, endpoint=endpoint, p256dh="x", auth="y", device="")


def test_apple_and_google_endpoints_are_accepted(rep_a1):
    for endpoint in ("https://web.push.apple.com/QO2", "https://fcm.googleapis.com/fcm/send/abc"):
        subscription_save(salesperson=rep_a1, endpoint=endpoint, p256dh="k", auth="a", device="")
    assert rep_a1.push_subscriptions.count() == 2


def test_a_shared_phone_moves_to_whoever_subscribed_last(push_service, rep_a1, rep_a2):
    first = _subscribe(push_service, rep_a1)
    again = subscription_save(
        salesperson=rep_a2,
        endpoint=first.endpoint,
        p256dh=first.p256dh,
        auth=first.auth,
        device="shared",
    )
    assert again.pk == first.pk and again.salesperson == rep_a2


def test_the_public_key_is_the_uncompressed_point(push_service):
    key = vapid_public_key()
    assert len(key) == 87  # 65 bytes, base64url without padding


# --- the notifications page ---


def test_page_says_when_no_device_works(client, push_service, rep_a1):
    client.force_login(rep_a1.user)
    page = client.get("/me/notifications/").content.decode()
    assert 'id="push-none"' in page
    assert vapid_public_key() in page  # the page's script subscribes with it


def test_browser_subscribes_then_a_test_push_arrives(client, push_service, rep_a1):
    client.force_login(rep_a1.user)
    sub = push_service.subscription(vapid_public_key())
    response = client.post(
        "/me/notifications/subscribe/",
        data={**sub, "device": "Chrome · Android"},
        content_type="application/json",
    )
    assert response.status_code == 201
    device = rep_a1.push_subscriptions.get()
    assert device.device == "Chrome · Android"

    response = client.post(f"/me/notifications/{device.pk}/test/", follow=True)
    assert push_service.payloads()[0]["url"] == "/me/notifications/"
    page = response.content.decode()
    assert "Test an Chrome · Android gesendet" in page
    assert 'id="push-none"' not in page


def test_a_bad_subscription_gets_a_clear_error(client, push_service, rep_a1):
    client.force_login(rep_a1.user)
    response = client.post(
        "/me/notifications/subscribe/",
        data={"endpoint": "http://10.1.2.3/", "keys": {"p256dh": "k", "auth": "a"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not a known push service" in response.json()["error"]
    response = client.post(
        "/me/notifications/subscribe/", data="not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert not rep_a1.push_subscriptions.exists()


def test_another_persons_device_is_out_of_reach(client, push_service, rep_a1, rep_a2, rep_b1):
    device = _subscribe(push_service, rep_a2)
    for staff in (rep_a1, rep_b1):
        client.force_login(staff.user)
        assert client.post(f"/me/notifications/{device.pk}/test/").status_code == 404
        assert client.post(f"/me/notifications/{device.pk}/remove/").status_code == 404
    assert push_service.delivered == []
    assert PushSubscription.objects.filter(pk=device.pk).exists()


def test_removing_a_device_stops_its_notifications(client, push_service, rep_a1):
    device = _subscribe(push_service, rep_a1)
    client.force_login(rep_a1.user)
    client.post(f"/me/notifications/{device.pk}/remove/")
    assert salesperson_push(salesperson=rep_a1, notice=NOTICE) == 0


@override_settings(LEADFLOW_VAPID_PRIVATE_KEY="")
def test_without_a_vapid_key_the_page_says_push_is_not_set_up(client, rep_a1):
    client.force_login(rep_a1.user)
    page = client.get("/me/notifications/").content.decode()
    assert "LEADFLOW_VAPID_PRIVATE_KEY" in page
    assert 'id="push-enable"' not in page
