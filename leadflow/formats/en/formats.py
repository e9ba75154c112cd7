"""English dates on LeadFlow's pages and in its messages: one unambiguous format, day before
month, 24 hours.

Django's English defaults are American ("Dec. 1, 2026, 2:05 p.m.", "12/01/2026"), which next
to the day.month dates of a European dealership read both ways, and mixed with the short form
on one page (the booking page's days above its times).
"""

from __future__ import annotations

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
