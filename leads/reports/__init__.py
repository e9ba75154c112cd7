"""The manager's funnel: the weekly report, its page and exports, and the Monday digest."""
