"""Template filters for the engine's stored codes: ``{{ lead.next_action|action_label }}``."""

from __future__ import annotations

from django import template

from leads import labels

register = template.Library()

register.filter("action_label", labels.action_label)
register.filter("outcome_label", labels.outcome_label)
register.filter("reason_label", labels.reason_label)
register.filter("purpose_label", labels.purpose_label)
register.filter("delivery_label", labels.delivery_label)
