"""Voice providers: Twilio in production, the sandbox (calls recorded in the database) locally."""

from __future__ import annotations

from django.conf import settings

from followup.providers.base import VoiceProvider
from followup.providers.sandbox import SandboxVoice
from followup.providers.twilio import TwilioVoice


def voice_provider() -> VoiceProvider:
    if settings.LEADFLOW_PROVIDERS == "twilio":
        return TwilioVoice()
    return SandboxVoice()
