"""The console email backend, safe for production logs.

With DEBUG on it prints whole emails (a developer clicks the reset link in the terminal).
Outside DEBUG it prints who got what subject, never the body: password-reset and unsubscribe
links in a log are keys to accounts and opt-outs."""

from __future__ import annotations

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend


class ConsoleEmailBackend(DjangoConsoleBackend):
    def write_message(self, message) -> None:
        if settings.DEBUG:
            super().write_message(message)
            return
        self.stream.write(
            f"email to {len(message.recipients())} recipient(s), subject {message.subject!r}"
            " (body not shown outside DEBUG)\n"
        )
