"""Meta Lead Ads: the page id decides the dealer; Graph refusals are permanent, alerted and
replayable; 5xx, throttling and timeouts stay temporary."""

from __future__ import annotations

import socket

import pytest
from django.core import mail
from django.test import override_settings

from leads.intake.pipeline import intake_record_replay
from leads.models import IntakeRecord, Lead
from tests.leads.intake.portals import meta_lead, meta_notification, post_meta

PAGE_A, PAGE_B = "111000111", "222000222"
EXPIRED_TOKEN = {
    "message": "Error validating access token: Session has expired on Monday, 23-Nov-26.",
    "type": "OAuthException",
    "code": 190,
    "error_subcode": 463,
}
THROTTLED = {"message": "User request limit reached", "type": "OAuthException", "code": 17}


@pytest.fixture
def pages(dealer_a, dealer_b, meta_graph):
    dealer_a.meta_page_id = PAGE_A
    dealer_a.save(update_fields=["meta_page_id"])
    dealer_b.meta_page_id = PAGE_B
    dealer_b.meta_page_token = "page-token-b"
    dealer_b.save(update_fields=["meta_page_id", "meta_page_token_encrypted"])
    return meta_graph


def test_a_notification_goes_to_the_dealer_whose_page_it_names(
    client, dealer_b, rep_a1, rep_b1, pages
):
    pages.add_lead(meta_lead("111"))

    # One Meta app has one callback URL: here it is dealer A's, but the page is dealer B's.
    response = post_meta(client, "nord", meta_notification("111", page_id=PAGE_B))

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.dealer, lead.assigned_to) == (dealer_b, rep_b1)
    assert [r.access_token for r in pages.requests] == ["page-token-b"]
    assert IntakeRecord.objects.get().dealer == dealer_b


def test_a_signed_notification_for_a_page_no_dealer_has_is_200_and_ignored(client, rep_a1, pages):
    response = post_meta(client, "nord", meta_notification("111", page_id="999999"))

    assert response.status_code == 200
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.status_code) == ("ignored", 200)
    assert "999999" in record.error
    assert pages.requests == []
    assert Lead.objects.count() == 0


def test_an_expired_page_token_is_permanent_alerts_the_manager_and_replays_once_fixed(
    client, dealer_a, rep_a1, manager_a, pages, django_capture_on_commit_callbacks
):
    pages.add_lead(meta_lead("111"))
    pages.add_lead(
        meta_lead("222", name="Ben Weber", email="ben@example.de", phone="+4915112345679")
    )
    pages.fail_next(400, times=2, error=EXPIRED_TOKEN)

    with django_capture_on_commit_callbacks(execute=True):
        first = post_meta(client, "nord", meta_notification("111", page_id=PAGE_A))
        second = post_meta(client, "nord", meta_notification("222", page_id=PAGE_A))

    # Meta is told "received": its 36 hours of retries would meet the same refusal.
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["outcome"] == "rejected"
    records = list(IntakeRecord.objects.order_by("pk"))
    assert [(r.outcome, r.replayable) for r in records] == [("rejected", True)] * 2
    assert "Session has expired" in records[0].error
    # One email for the expired token, not one per lead.
    (alert,) = mail.outbox
    assert alert.to == [manager_a.user.email]
    assert "Meta" in alert.subject
    assert "Session has expired" in alert.body
    assert "/admin/leads/intakerecord/" in alert.body

    # The dealer renews the token; the admin replays both requests.
    for record in records:
        assert intake_record_replay(record=record).outcome == "created"
    assert sorted(Lead.objects.values_list("external_id", flat=True)) == ["111", "222"]
    assert len(mail.outbox) == 1


def test_a_replay_still_refused_says_so_and_stays_replayable(client, rep_a1, pages):
    pages.add_lead(meta_lead("111"))
    pages.fail_next(403, times=2, error={"message": "Missing permission", "code": 200})
    post_meta(client, "nord", meta_notification("111", page_id=PAGE_A))
    record = IntakeRecord.objects.get()

    with pytest.raises(Exception, match="Missing permission"):
        intake_record_replay(record=record)

    record.refresh_from_db()
    assert (record.outcome, record.replayable, record.replay_count) == ("rejected", True, 1)


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, None), (503, None), (429, None), (400, THROTTLED)],
    ids=["500", "503", "429", "throttled-400"],
)
def test_server_errors_and_throttling_stay_temporary(client, rep_a1, pages, status, error):
    pages.add_lead(meta_lead("111"))
    pages.fail_next(status, error=error)

    response = post_meta(client, "nord", meta_notification("111", page_id=PAGE_A))

    assert response.status_code == 503  # Meta retries
    assert IntakeRecord.objects.get().outcome == "failed"
    assert mail.outbox == []
    assert post_meta(client, "nord", meta_notification("111", page_id=PAGE_A)).status_code == 201


def test_a_timeout_stays_temporary(client, rep_a1, pages):
    # A Graph that takes the connection and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/v21.0"
    try:
        with override_settings(META_GRAPH_API_URL=url, META_GRAPH_TIMEOUT_SECONDS=0.3):
            response = post_meta(client, "nord", meta_notification("111", page_id=PAGE_A))
    finally:
        silent.close()

    assert response.status_code == 503, response.content
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.replayable) == ("failed", True)
    assert "timed out" in record.error.lower()
