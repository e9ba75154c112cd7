"""When a customer may be contacted: quiet hours in their time zone and the dealer's,
public holidays and the dealer's own closed days.

The holiday part (``holidays_of`` / ``closed_reason``) knows nothing about customers, so a staff
calendar can reuse it for "is this a working day at the dealer".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import phonenumbers
from phonenumbers import timezone as phone_timezone

from dealers.models import Dealer

# Quiet hours by the called party's country: contact only between these local times. DE/NL/BE:
# the usual reading of UWG/Telecommunicatiewet guidance; US: the TCPA's 8 a.m.–9 p.m.
QUIET_HOURS_PRESETS: dict[str, tuple[dt.time, dt.time]] = {
    "DE": (dt.time(8, 0), dt.time(21, 0)),
    "NL": (dt.time(8, 0), dt.time(21, 0)),
    "BE": (dt.time(8, 0), dt.time(21, 0)),
    "US": (dt.time(8, 0), dt.time(21, 0)),
}
DEFAULT_WINDOW = (dt.time(8, 0), dt.time(21, 0))
# How far ahead "when is it allowed" looks before it gives up.
LOOKAHEAD = dt.timedelta(days=21)
STEP = dt.timedelta(minutes=15)


@lru_cache(maxsize=256)
def holidays_of(
    country: str, subdivision: str = "", year: int = 2026, language: str = ""
) -> holidays.HolidayBase:
    """Public holidays of a country (and subdivision, e.g. a German state) in one year, named
    in ``language`` where the library has it."""
    try:
        return holidays.country_holidays(
            country, subdiv=subdivision or None, years=year, language=language or None
        )
    except NotImplementedError:  # a country or state the library does not know: none
        return holidays.HolidayBase()


def closed_reason(dealer: Dealer, day: dt.date) -> str:
    """Why ``day`` is not a contact day at the dealer ("" if it is): a holiday's name, or
    "closed day"."""
    if day.isoformat() in set(dealer.closed_days or []):
        return "closed day"
    name = holidays_of(
        dealer.country or "DE", dealer.subdivision or "", day.year, dealer.language
    ).get(day)
    return str(name) if name else ""


def customer_zone(phone: str, dealer: Dealer) -> tuple[ZoneInfo, str]:
    """The customer's time zone from their number and the number's country; the dealer's zone
    where the number spans several zones or none is known."""
    name, region = _zone(phone, dealer.country or "DE")
    return (ZoneInfo(name) if name else dealer.tz), region


@lru_cache(maxsize=4096)
def _zone(phone: str, country: str) -> tuple[str, str]:
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        return "", ""
    region = phonenumbers.region_code_for_number(number) or ""
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    if len(zones) == 1:
        try:
            ZoneInfo(zones[0])
        except (KeyError, ValueError):
            return "", region
        return zones[0], region
    return "", region


@dataclass
class HoursCheck:
    """What the hours rule looked at, as stored on the decision."""

    ok: bool
    rule: str = ""  # "" when ok; "quiet_hours", "dealer_hours", "holiday", "closed_day"
    detail: str = ""  # the holiday's name
    customer_tz: str = ""
    customer_local: str = ""
    dealer_local: str = ""
    window: str = ""
    extra: dict = field(default_factory=dict)

    def as_data(self) -> dict:
        return {
            "ok": self.ok,
            "rule": self.rule,
            "detail": self.detail,
            "customer_tz": self.customer_tz,
            "customer_local": self.customer_local,
            "dealer_local": self.dealer_local,
            "window": self.window,
        }


def hours_check(
    *, dealer: Dealer, phone: str, when: dt.datetime, dealer_hours: bool = True
) -> HoursCheck:
    """May the customer be contacted at ``when``? Quiet hours at the customer's (from the
    number) and the dealer's end, holidays and closed days at the dealer, and, with
    ``dealer_hours``, the dealer's own customer contact hours."""
    tz, region = customer_zone(phone, dealer) if phone else (dealer.tz, dealer.country)
    start, end = QUIET_HOURS_PRESETS.get(region or dealer.country, DEFAULT_WINDOW)
    local = when.astimezone(tz)
    dealer_local = when.astimezone(dealer.tz)
    check = HoursCheck(
        ok=True,
        customer_tz=str(tz),
        customer_local=local.strftime("%H:%M"),
        dealer_local=dealer_local.strftime("%H:%M"),
        window=f"{start:%H:%M}–{end:%H:%M}",
    )
    reason = closed_reason(dealer, dealer_local.date())
    if reason:
        check.ok = False
        check.rule = "closed_day" if reason == "closed day" else "holiday"
        check.detail = "" if reason == "closed day" else reason
        return check
    for moment, rule in ((local, "quiet_hours"), (dealer_local, "dealer_hours")):
        if not (start <= moment.time().replace(tzinfo=None) < end):
            check.ok, check.rule = False, rule
            return check
    if dealer_hours and not dealer.may_contact_customer(when):
        check.ok, check.rule = False, "dealer_hours"
    return check


def next_allowed(
    *, dealer: Dealer, phone: str, when: dt.datetime, dealer_hours: bool = True
) -> dt.datetime | None:
    """The first moment from ``when`` on that ``hours_check`` allows (None: not within three
    weeks). Walks quarter hours: only denied contacts pay for it."""
    if hours_check(dealer=dealer, phone=phone, when=when, dealer_hours=dealer_hours).ok:
        return when
    moment = when.replace(second=0, microsecond=0)
    moment += STEP - dt.timedelta(minutes=moment.minute % 15)
    limit = when + LOOKAHEAD
    while moment < limit:
        if hours_check(dealer=dealer, phone=phone, when=moment, dealer_hours=dealer_hours).ok:
            return moment
        moment += STEP
    return None
