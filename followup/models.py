from followup.messages_models import *  # noqa: F403

__all__ = ["InboundMessage", "MessageTemplate", "OutboundMessage"]  # noqa: F405
