"""Which words a message uses: the dealer's own templates, else built-in German and English."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import formats, translation

from followup.messages_models import MessageTemplate
from leads.models import Lead

FREE = "free"  # a salesperson's own words instead of a template

# Purposes the engine and the appointment flow use. A dealer may add their own.
FIRST, FOLLOWUP, CLOSE, APPOINTMENT, REMINDER = (
    "first",
    "followup",
    "close",
    "appointment",
    "reminder",
)

_DEFAULTS: dict[tuple[str, str], dict[str, str]] = {
    (FIRST, "de"): {
        "label": "Erste Nachricht",
        "subject": "Ihre Anfrage zum {vehicle} bei {dealer}",
        "body": (
            "Hallo {first_name},\n\nvielen Dank für Ihre Anfrage zum {vehicle}. "
            "{salesperson} von {dealer} meldet sich gleich persönlich bei Ihnen. "
            "Antworten Sie gern direkt auf diese Nachricht, wann wir Sie am besten erreichen."
        ),
    },
    (FIRST, "en"): {
        "label": "First message",
        "subject": "Your enquiry about the {vehicle} at {dealer}",
        "body": (
            "Hello {first_name},\n\nthank you for your enquiry about the {vehicle}. "
            "{salesperson} from {dealer} will be in touch with you personally. "
            "Just reply to this message to tell us when suits you best."
        ),
    },
    (FOLLOWUP, "de"): {
        "label": "Nachfassen",
        "subject": "Noch Interesse am {vehicle}?",
        "body": (
            "Hallo {first_name},\n\nwir haben Sie leider noch nicht erreicht. "
            "Haben Sie noch Fragen zum {vehicle}? Antworten Sie einfach auf diese Nachricht "
            "– {salesperson}, {dealer}"
        ),
    },
    (FOLLOWUP, "en"): {
        "label": "Follow-up",
        "subject": "Still interested in the {vehicle}?",
        "body": (
            "Hello {first_name},\n\nwe have not managed to reach you yet. "
            "Do you have any questions about the {vehicle}? Just reply to this message "
            "– {salesperson}, {dealer}"
        ),
    },
    (CLOSE, "de"): {
        "label": "Letzte Nachricht",
        "subject": "Ihre Anfrage zum {vehicle}",
        "body": (
            "Hallo {first_name},\n\nwir möchten Sie nicht weiter stören. Wenn Sie noch "
            "Interesse am {vehicle} haben, antworten Sie einfach – wir sind für Sie da. "
            "– {salesperson}, {dealer}"
        ),
    },
    (CLOSE, "en"): {
        "label": "Last message",
        "subject": "Your enquiry about the {vehicle}",
        "body": (
            "Hello {first_name},\n\nwe don't want to bother you any further. If you are "
            "still interested in the {vehicle}, just reply – we are here for you. "
            "– {salesperson}, {dealer}"
        ),
    },
    (APPOINTMENT, "de"): {
        "label": "Terminbestätigung",
        "subject": "Ihr Termin bei {dealer}: {appointment}",
        "body": (
            "Hallo {first_name},\n\nhiermit bestätigen wir Ihren Termin am {appointment} "
            "bei {dealer} zum {vehicle}. {salesperson} freut sich auf Sie."
        ),
    },
    (APPOINTMENT, "en"): {
        "label": "Appointment confirmation",
        "subject": "Your appointment at {dealer}: {appointment}",
        "body": (
            "Hello {first_name},\n\nwe confirm your appointment on {appointment} at "
            "{dealer} about the {vehicle}. {salesperson} is looking forward to seeing you."
        ),
    },
    (REMINDER, "de"): {
        "label": "Terminerinnerung",
        "subject": "Erinnerung: Ihr Termin morgen bei {dealer}",
        "body": (
            "Hallo {first_name},\n\nwir freuen uns auf Ihren Besuch am {appointment} bei "
            "{dealer}. Falls etwas dazwischenkommt, antworten Sie bitte kurz."
        ),
    },
    (REMINDER, "en"): {
        "label": "Appointment reminder",
        "subject": "Reminder: your appointment tomorrow at {dealer}",
        "body": (
            "Hello {first_name},\n\nwe look forward to seeing you on {appointment} at "
            "{dealer}. If anything comes up, please send us a short reply."
        ),
    },
    (FIRST, "nl"): {
        "label": "Eerste bericht",
        "subject": "Uw aanvraag over de {vehicle} bij {dealer}",
        "body": (
            "Hallo {first_name},\n\nhartelijk dank voor uw aanvraag over de {vehicle}. "
            "{salesperson} van {dealer} neemt zo snel mogelijk persoonlijk contact met u op. "
            "Antwoord gerust op dit bericht wanneer wij u het best kunnen bereiken."
        ),
    },
    (FIRST, "fr"): {
        "label": "Premier message",
        "subject": "Votre demande concernant la {vehicle} chez {dealer}",
        "body": (
            "Bonjour {first_name},\n\nmerci pour votre demande concernant la {vehicle}. "
            "{salesperson} de {dealer} va vous contacter personnellement. "
            "Répondez simplement à ce message pour nous dire quand vous joindre."
        ),
    },
    (FOLLOWUP, "nl"): {
        "label": "Opvolging",
        "subject": "Nog interesse in de {vehicle}?",
        "body": (
            "Hallo {first_name},\n\nhelaas hebben we u nog niet kunnen bereiken. "
            "Heeft u nog vragen over de {vehicle}? Antwoord gewoon op dit bericht "
            "– {salesperson}, {dealer}"
        ),
    },
    (FOLLOWUP, "fr"): {
        "label": "Relance",
        "subject": "Toujours intéressé par la {vehicle} ?",
        "body": (
            "Bonjour {first_name},\n\nnous n'avons pas encore réussi à vous joindre. "
            "Avez-vous des questions sur la {vehicle} ? Répondez simplement à ce message "
            "– {salesperson}, {dealer}"
        ),
    },
    (CLOSE, "nl"): {
        "label": "Laatste bericht",
        "subject": "Uw aanvraag over de {vehicle}",
        "body": (
            "Hallo {first_name},\n\nwe willen u niet langer storen. Heeft u nog "
            "interesse in de {vehicle}, antwoord dan gewoon – we staan voor u klaar. "
            "– {salesperson}, {dealer}"
        ),
    },
    (CLOSE, "fr"): {
        "label": "Dernier message",
        "subject": "Votre demande concernant la {vehicle}",
        "body": (
            "Bonjour {first_name},\n\nnous ne voulons pas vous déranger davantage. Si la "
            "{vehicle} vous intéresse toujours, répondez simplement – nous sommes là pour "
            "vous. – {salesperson}, {dealer}"
        ),
    },
    (APPOINTMENT, "nl"): {
        "label": "Afspraakbevestiging",
        "subject": "Uw afspraak bij {dealer}: {appointment}",
        "body": (
            "Hallo {first_name},\n\nhierbij bevestigen wij uw afspraak op {appointment} "
            "bij {dealer} over de {vehicle}. {salesperson} verheugt zich op uw bezoek."
        ),
    },
    (APPOINTMENT, "fr"): {
        "label": "Confirmation de rendez-vous",
        "subject": "Votre rendez-vous chez {dealer} : {appointment}",
        "body": (
            "Bonjour {first_name},\n\nnous confirmons votre rendez-vous le {appointment} "
            "chez {dealer} concernant la {vehicle}. {salesperson} se réjouit de vous accueillir."
        ),
    },
    (REMINDER, "nl"): {
        "label": "Afspraakherinnering",
        "subject": "Herinnering: uw afspraak morgen bij {dealer}",
        "body": (
            "Hallo {first_name},\n\nwe verheugen ons op uw bezoek op {appointment} bij "
            "{dealer}. Komt er iets tussen, stuur ons dan even een kort antwoord."
        ),
    },
    (REMINDER, "fr"): {
        "label": "Rappel de rendez-vous",
        "subject": "Rappel : votre rendez-vous demain chez {dealer}",
        "body": (
            "Bonjour {first_name},\n\nnous nous réjouissons de votre visite le {appointment} "
            "chez {dealer}. En cas d'empêchement, envoyez-nous une courte réponse."
        ),
    },
}
# Offered to salespeople on the lead page; appointment messages go out by appointment_booked.
MANUAL_PURPOSES = (FIRST, FOLLOWUP, CLOSE)

_FREE_LABELS = {"de": "Freier Text", "en": "Free text", "nl": "Vrije tekst", "fr": "Texte libre"}
_VEHICLE_FALLBACK = {
    "de": "Wunschfahrzeug",
    "en": "car you asked about",
    "nl": "gewenste auto",
    "fr": "voiture demandée",
}


@dataclass(frozen=True)
class Resolved:
    """A template ready to render for one lead."""

    channel: str
    purpose: str
    language: str
    label: str
    subject: str
    body: str
    content_sid: str = ""
    variables: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.purpose}"


def language_of(lead: Lead) -> str:
    """The lead's language when we write it, else the dealer's."""
    known = {code for code, _name in settings.LANGUAGES}
    for candidate in (lead.language, lead.dealer.language):
        code = (candidate or "").lower().split("-")[0]
        if code in known:
            return code
    return settings.LANGUAGE_CODE


def template_resolve(
    *, lead: Lead, channel: str, purpose: str, language: str | None = None
) -> Resolved | None:
    """The dealer's template for this purpose and language, else the built-in one."""
    language = language or language_of(lead)
    own = {
        t.language: t
        for t in MessageTemplate.objects.filter(
            dealer_id=lead.dealer_id, channel=channel, purpose=purpose
        )
    }
    chosen = own.get(language)
    if chosen is not None:
        return Resolved(
            channel=channel,
            purpose=purpose,
            language=language,
            label=chosen.label,
            subject=chosen.subject,
            body=chosen.body,
            content_sid=chosen.content_sid,
            variables=list(chosen.variables or []),
        )
    default = _DEFAULTS.get((purpose, language))
    if default is not None:
        return Resolved(
            channel=channel,
            purpose=purpose,
            language=language,
            label=default["label"],
            subject=default["subject"],
            body=default["body"],
            variables=_default_variables(purpose),
        )
    # A purpose the dealer wrote in another language only: better than nothing.
    if own:
        other = next(iter(own.values()))
        return template_resolve(
            lead=lead, channel=channel, purpose=purpose, language=other.language
        )
    return None


def _default_variables(purpose: str) -> list[str]:
    if purpose in (APPOINTMENT, REMINDER):
        return ["first_name", "appointment", "dealer"]
    return ["first_name", "vehicle", "dealer"]


def templates_available(*, lead: Lead, channel: str) -> list[Resolved]:
    """The manual templates for ``channel``: the built-in purposes plus the dealer's own."""
    language = language_of(lead)
    purposes = list(MANUAL_PURPOSES)
    for purpose in (
        MessageTemplate.objects.filter(dealer_id=lead.dealer_id, channel=channel, manual=True)
        .exclude(purpose__in=[*purposes, APPOINTMENT, REMINDER])
        .values_list("purpose", flat=True)
        .distinct()
    ):
        purposes.append(purpose)
    found = [
        template_resolve(lead=lead, channel=channel, purpose=purpose, language=language)
        for purpose in purposes
    ]
    return [t for t in found if t is not None]


def free_label(language: str) -> str:
    return _FREE_LABELS.get(language, _FREE_LABELS["en"])


def placeholders(*, lead: Lead, language: str, extra: dict[str, Any] | None = None) -> dict:
    dealer = lead.dealer
    salesperson = lead.assigned_to.display_name if lead.assigned_to_id else dealer.name
    values = {
        "first_name": lead.first_name or lead.customer_name,
        "customer_name": lead.customer_name,
        "vehicle": lead.vehicle or _VEHICLE_FALLBACK.get(language, _VEHICLE_FALLBACK["en"]),
        "dealer": dealer.name,
        "salesperson": salesperson,
        "appointment": appointment_text(lead=lead, language=language),
    }
    values.update(extra or {})
    return values


def appointment_text(*, lead: Lead, language: str) -> str:
    """The appointment's date and time as the customer reads it: the dealer's local time."""
    if lead.appointment_at is None:
        return ""
    local = lead.appointment_at.astimezone(lead.dealer.tz)
    with translation.override(language):
        return formats.date_format(local, "DATETIME_FORMAT")


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(text: str, values: dict[str, Any]) -> str:
    """Fill ``{name}`` placeholders. Unknown names stay as written; a plain substitution
    rather than str.format, so a dealer's template can't reach into Python objects."""
    filled = _PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), text)
    # "Hallo ," when the lead gave no name.
    return re.sub(r"[ \t]+,", ",", filled)


def content_variables(resolved: Resolved, values: dict[str, Any]) -> dict[str, str]:
    """Twilio's ContentVariables: {"1": …, "2": …} in the template's variable order."""
    return {
        str(i): str(values.get(name, "")) or "-" for i, name in enumerate(resolved.variables, 1)
    }
