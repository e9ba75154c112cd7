"""English dates on LeadFlow's pages: one unambiguous format, day before month, 24 hours.

Django's English defaults are American ("12/01/2026 2:05 p.m."), which next to the day.month
dates of a European dealership read both ways. Customer messages keep DATETIME_FORMAT.
"""

SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
