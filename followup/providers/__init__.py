"""Voice providers: Twilio in production, the sandbox (calls recorded in the database) locally."""

from __future__ import annotations

from django.conf import settings

from followup.providers.base import VoiceProvider


def voice_provider() -> VoiceProvider:
    if settings.LEADFLOW_PROVIDERS == "twilio":
        from followup.providers.twilio import TwilioVoice

        return TwilioVoice()
    from followup.providers.sandbox import SandboxVoice

    return SandboxVoice()
