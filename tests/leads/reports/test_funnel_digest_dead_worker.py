"""A digest whose worker died mid-send ("sending" for good) still goes out, once."""

from __future__ import annotations

import contextlib

import pytest
import time_machine
from django.core import mail

from dealers.models import Salesperson
from leads.models import FunnelDigest
from leads.tasks import send_funnel_digest
from tests.conftest import make_staff
from tests.leads.reports.funnel_fixtures import sixty_percent_week
from tests.leads.reports.test_funnel_digest import at_berlin, tick_at


@pytest.fixture
def week(dealer_a, rep_a1, rep_a2):
    return sixty_percent_week(dealer_a, [rep_a1, rep_a2])


def left_sending_at(dealer, when, recipients):
    with time_machine.travel(when, tick=False):
        return FunnelDigest.objects.create(dealer=dealer, week="2026-W47", recipients=recipients)


def test_a_digest_left_sending_by_a_dead_worker_is_retried_for_the_managers_it_missed(
    dealer_a, manager_a, week
):
    second = make_staff(dealer_a, "klaus", "Klaus", Salesperson.Role.MANAGER, "+4915110000009")
    # The worker mailed Petra, then died before it could mark the digest sent.
    left_sending_at(dealer_a, at_berlin(23, 7, 0), [manager_a.user.email])

    tick_at(at_berlin(23, 7, 5))  # still within the send's own time: not touched
    assert mail.outbox == []

    tick_at(at_berlin(23, 7, 15))
    tick_at(at_berlin(23, 7, 30))
    tick_at(at_berlin(23, 9, 0))

    assert [m.to for m in mail.outbox] == [[second.user.email]]
    digest = FunnelDigest.objects.get()
    assert digest.status == FunnelDigest.Status.SENT
    assert sorted(digest.recipients) == sorted([manager_a.user.email, second.user.email])


def test_only_one_of_two_runs_takes_over_a_stale_digest(dealer_a, manager_a, week):
    left_sending_at(dealer_a, at_berlin(23, 7, 0), [])

    with time_machine.travel(at_berlin(23, 7, 20), tick=False):
        first = send_funnel_digest.delay(dealer_a.pk, "2026-W47").get()
        second = send_funnel_digest.delay(dealer_a.pk, "2026-W47").get()

    assert (first, second) == (True, False)
    assert [m.to for m in mail.outbox] == [[manager_a.user.email]]


def test_recipients_are_saved_as_each_email_goes_out(dealer_a, manager_a, week, monkeypatch):
    """A worker dying after the first email leaves that email on record."""
    make_staff(dealer_a, "klaus", "Klaus", Salesperson.Role.MANAGER, "+4915110000009")
    sent_so_far = []

    def dies_on_the_second(self, *args, **kwargs):
        if sent_so_far:
            raise SystemExit("worker killed")
        sent_so_far.append(self.to)
        return 1

    monkeypatch.setattr("django.core.mail.EmailMessage.send", dies_on_the_second)
    with time_machine.travel(at_berlin(23, 7, 0), tick=False), contextlib.suppress(SystemExit):
        send_funnel_digest.delay(dealer_a.pk, "2026-W47")

    digest = FunnelDigest.objects.get()
    assert digest.status == FunnelDigest.Status.SENDING
    assert digest.recipients == sent_so_far[0]
    assert len(digest.recipients) == 1
