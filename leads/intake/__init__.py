"""Leads coming in: the portal webhooks and email, their readers, one set of rules, and storing
each lead exactly once (every request is written down first, as an IntakeRecord)."""
