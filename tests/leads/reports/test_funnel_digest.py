from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from dealers.models import Dealer, Salesperson
from leads.models import FunnelDigest
from leads.tasks import funnel_digest_due, send_funnel_digest
from tests.conftest import make_staff
from tests.leads.reports.funnel_fixtures import sixty_percent_week

BERLIN = ZoneInfo("Europe/Berlin")


def at_berlin(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def week(dealer_a, rep_a1, rep_a2):
    return sixty_percent_week(dealer_a, [rep_a1, rep_a2])


def tick_at(when: dt.datetime) -> None:
    with time_machine.travel(when, tick=False):
        funnel_digest_due.delay()


def test_digest_goes_out_monday_at_seven_local_time_once(manager_a, rep_a1, bdc_a, week):
    tick_at(at_berlin(23, 6, 45))
    assert mail.outbox == []

    tick_at(at_berlin(23, 7, 0))
    tick_at(at_berlin(23, 7, 15))
    tick_at(at_berlin(23, 23, 45))
    tick_at(at_berlin(24, 7, 0))

    assert [m.to for m in mail.outbox] == [[manager_a.user.email]]
    assert FunnelDigest.objects.get().week == "2026-W47"


def test_digest_has_text_and_html_with_the_exact_numbers_and_the_gaps(manager_a, week):
    tick_at(at_berlin(23, 7, 0))

    (message,) = mail.outbox
    assert "2026-W47" in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    for body in (message.body, html):
        for figure in ("100", "80,0%", "60,0%", "79,2%", "22,0%"):
            assert figure in body
    # The missed show rate is among the gaps, with a link to the leads behind it.
    gap_link = "/queue/?week=2026-W47&milestone=appointment&not_milestone=showed"
    assert f"http://127.0.0.1:8000{gap_link}" in message.body
    assert gap_link.replace("&", "&amp;") in html


def test_each_manager_gets_the_digest_and_nobody_else(dealer_a, manager_a, rep_a1, bdc_a, week):
    second = make_staff(dealer_a, "klaus", "Klaus", Salesperson.Role.MANAGER, "+4915110000009")

    tick_at(at_berlin(23, 7, 30))

    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager_a.user.email, second.user.email])


def test_each_dealer_gets_its_digest_at_seven_in_its_own_time_zone(manager_a, dealer_b, week):
    london = Dealer.objects.create(name="Motors London", slug="london", time_zone="Europe/London")
    london_manager = make_staff(london, "james", "James", Salesperson.Role.MANAGER, "+447700900000")
    make_staff(dealer_b, "daan", "Daan", Salesperson.Role.MANAGER, "+31612345670")

    tick_at(at_berlin(23, 7, 30))  # 06:30 in London
    assert sorted(m.to[0] for m in mail.outbox) == ["daan@example.com", "petra@example.com"]

    tick_at(at_berlin(23, 8, 0))  # 07:00 in London
    assert mail.outbox[-1].to == [london_manager.user.email]
    assert len(mail.outbox) == 3


def test_a_second_beat_or_a_retry_finds_the_digest_claimed(dealer_a, manager_a, week):
    with time_machine.travel(at_berlin(23, 7, 0), tick=False):
        assert send_funnel_digest.delay(dealer_a.pk, "2026-W47").get() is True
        assert send_funnel_digest.delay(dealer_a.pk, "2026-W47").get() is False
        funnel_digest_due.delay()

    assert len(mail.outbox) == 1
    assert FunnelDigest.objects.get().status == FunnelDigest.Status.SENT


def test_a_digest_claimed_by_another_worker_is_not_sent_again(dealer_a, manager_a, week):
    FunnelDigest.objects.create(dealer=dealer_a, week="2026-W47")  # in flight elsewhere

    tick_at(at_berlin(23, 7, 0))
    with time_machine.travel(at_berlin(23, 7, 0), tick=False):
        send_funnel_digest.delay(dealer_a.pk, "2026-W47")

    assert mail.outbox == []


def test_a_failed_digest_is_retried_on_the_next_tick_without_repeats(
    dealer_a, manager_a, week, settings
):
    FunnelDigest.objects.create(
        dealer=dealer_a, week="2026-W47", status=FunnelDigest.Status.FAILED, recipients=[]
    )

    tick_at(at_berlin(23, 7, 15))
    tick_at(at_berlin(23, 7, 30))

    assert len(mail.outbox) == 1
    assert FunnelDigest.objects.get().recipients == [manager_a.user.email]
