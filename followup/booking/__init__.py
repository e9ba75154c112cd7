"""The customer books themselves: a signed, expiring link to a page with the salesperson's free
slots; booking sets the appointment, confirms it with an .ics and ends the cadence's calls."""
