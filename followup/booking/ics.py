"""The appointment as an iCalendar file, attached to the confirmation email."""

from __future__ import annotations

import datetime as dt

import icalendar
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from leads.models import Lead


def appointment_ics(
    *, lead: Lead, starts_at: dt.datetime, minutes: int, kind: str, language: str
) -> bytes:
    """One VEVENT (METHOD:PUBLISH). Its UID is the lead's, so a moved appointment replaces
    the earlier one in the customer's calendar instead of adding a second."""
    dealer = lead.dealer
    with translation.override(language):
        what = _("Test drive") if kind == "test_drive" else _("Appointment")
        summary = _("%(what)s at %(dealer)s") % {"what": what, "dealer": dealer.name}
        lines = [lead.vehicle] if lead.vehicle else []
        if lead.assigned_to is not None:
            lines.append(_("With %(name)s") % {"name": lead.assigned_to.display_name})
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//LeadFlow//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    domain = settings.LEADFLOW_PUBLIC_URL.split("://", 1)[-1].split("/", 1)[0].split(":")[0]
    event.add("uid", f"lead-{lead.pk}-appointment@{domain}")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("sequence", int(starts_at.timestamp()) // 60)
    # UTC: every calendar reads it without a VTIMEZONE block and shows it in local time.
    event.add("dtstart", starts_at.astimezone(dt.UTC))
    event.add("dtend", (starts_at + dt.timedelta(minutes=minutes)).astimezone(dt.UTC))
    event.add("summary", summary)
    event.add("location", dealer.name)
    if lines:
        event.add("description", "\n".join(lines))
    sender = dealer.email_from or settings.DEFAULT_FROM_EMAIL
    organizer = icalendar.vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = icalendar.vText(dealer.name)
    event.add("organizer", organizer)
    calendar.add_component(event)
    return calendar.to_ical()
