"""The built-in wording of customer messages, per purpose and language (de, en, nl, fr).

A dealer overrides any of these per language on the manager's template page
(``MessageTemplate`` rows). Placeholders are filled by ``templates.placeholders``; the first
message's ``{availability}``, ``{vehicle_line}``, ``{price}`` and ``{next_step}`` come from
``channels.context.first_message_context``. WhatsApp template variables may not be empty, so
every placeholder used here always renders to some text.
"""

from __future__ import annotations

FIRST, FOLLOWUP, CLOSE, APPOINTMENT, REMINDER = (
    "first",
    "followup",
    "close",
    "appointment",
    "reminder",
)
# Sent when a salesperson found the customer's phone number to be wrong.
PHONE_CHECK = "phone_check"
# The first message per intent (leads.intent); "first" itself is the general answer.
FIRST_BY_INTENT = {
    "availability": "first_availability",
    "price": "first_price",
    "trade_in": "first_trade_in",
    "test_drive": "first_test_drive",
    "general": FIRST,
}
FIRST_PURPOSES = tuple(dict.fromkeys(FIRST_BY_INTENT.values()))

# Meta's template categories: replies to the customer's own inquiry and appointment
# messages are utility; "still interested?" nudges are marketing.
UTILITY, MARKETING = "UTILITY", "MARKETING"
CATEGORY = {
    **dict.fromkeys(FIRST_PURPOSES, UTILITY),
    APPOINTMENT: UTILITY,
    REMINDER: UTILITY,
    FOLLOWUP: MARKETING,
    CLOSE: MARKETING,
}

DEFAULTS: dict[tuple[str, str], dict[str, str]] = {
    # -- first answer: general ---------------------------------------------------------
    (FIRST, "de"): {
        "label": "Erste Nachricht",
        "subject": "Ihre Anfrage zum {vehicle} bei {dealer}",
        "body": (
            "Hallo {first_name},\n\nvielen Dank für Ihre Anfrage zum {vehicle}. "
            "{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    (FIRST, "en"): {
        "label": "First message",
        "subject": "Your enquiry about the {vehicle} at {dealer}",
        "body": (
            "Hello {first_name},\n\nthank you for your enquiry about the {vehicle}. "
            "{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    (FIRST, "nl"): {
        "label": "Eerste bericht",
        "subject": "Uw aanvraag over de {vehicle} bij {dealer}",
        "body": (
            "Hallo {first_name},\n\nhartelijk dank voor uw aanvraag over de {vehicle}. "
            "{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    (FIRST, "fr"): {
        "label": "Premier message",
        "subject": "Votre demande concernant la {vehicle} chez {dealer}",
        "body": (
            "Bonjour {first_name},\n\nmerci pour votre demande concernant la {vehicle}. "
            "{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    # -- first answer: is it still there? ------------------------------------------------
    ("first_availability", "de"): {
        "label": "Erste Nachricht: Verfügbarkeit",
        "subject": "Ist der {vehicle} noch da? Ihre Antwort von {dealer}",
        "body": (
            "Hallo {first_name},\n\n{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_availability", "en"): {
        "label": "First message: availability",
        "subject": "Is the {vehicle} still available? Your answer from {dealer}",
        "body": (
            "Hello {first_name},\n\n{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_availability", "nl"): {
        "label": "Eerste bericht: beschikbaarheid",
        "subject": "Is de {vehicle} nog beschikbaar? Uw antwoord van {dealer}",
        "body": (
            "Hallo {first_name},\n\n{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_availability", "fr"): {
        "label": "Premier message : disponibilité",
        "subject": "La {vehicle} est-elle disponible ? Votre réponse de {dealer}",
        "body": (
            "Bonjour {first_name},\n\n{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    # -- first answer: what does it cost? ------------------------------------------------
    ("first_price", "de"): {
        "label": "Erste Nachricht: Preis",
        "subject": "Ihr Preis für den {vehicle} bei {dealer}",
        "body": (
            "Hallo {first_name},\n\nder {vehicle} kostet {price}. Gern rechnen wir Ihnen "
            "auch eine Finanzierung oder ein Leasing durch. {availability}\n\n"
            "{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_price", "en"): {
        "label": "First message: price",
        "subject": "Your price for the {vehicle} at {dealer}",
        "body": (
            "Hello {first_name},\n\nthe {vehicle} costs {price}. We are happy to work out "
            "finance or leasing for you too. {availability}\n\n"
            "{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_price", "nl"): {
        "label": "Eerste bericht: prijs",
        "subject": "Uw prijs voor de {vehicle} bij {dealer}",
        "body": (
            "Hallo {first_name},\n\nde {vehicle} kost {price}. We rekenen ook graag een "
            "financiering of lease voor u uit. {availability}\n\n"
            "{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_price", "fr"): {
        "label": "Premier message : prix",
        "subject": "Votre prix pour la {vehicle} chez {dealer}",
        "body": (
            "Bonjour {first_name},\n\nla {vehicle} coûte {price}. Nous calculons volontiers "
            "aussi un financement ou un leasing pour vous. {availability}\n\n"
            "{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    # -- first answer: what is my car worth? ---------------------------------------------
    ("first_trade_in", "de"): {
        "label": "Erste Nachricht: Inzahlungnahme",
        "subject": "Ihre Inzahlungnahme und der {vehicle} bei {dealer}",
        "body": (
            "Hallo {first_name},\n\ngern nehmen wir Ihr jetziges Fahrzeug in Zahlung. "
            "Für ein verbindliches Angebot schauen wir es uns kurz an – bringen Sie es "
            "einfach zum Termin mit. {availability}\n\n{vehicle_line}\n\n{next_step}"
            "\n\n{sender}"
        ),
    },
    ("first_trade_in", "en"): {
        "label": "First message: trade-in",
        "subject": "Your trade-in and the {vehicle} at {dealer}",
        "body": (
            "Hello {first_name},\n\nwe are happy to take your current car in part "
            "exchange. For a firm offer we need a quick look at it – just bring it along to "
            "your appointment. {availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_trade_in", "nl"): {
        "label": "Eerste bericht: inruil",
        "subject": "Uw inruil en de {vehicle} bij {dealer}",
        "body": (
            "Hallo {first_name},\n\nwe nemen uw huidige auto graag in als inruil. Voor een "
            "vast bod bekijken we hem even – neem hem gewoon mee naar uw afspraak. "
            "{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_trade_in", "fr"): {
        "label": "Premier message : reprise",
        "subject": "Votre reprise et la {vehicle} chez {dealer}",
        "body": (
            "Bonjour {first_name},\n\nnous reprenons volontiers votre véhicule actuel. Pour "
            "une offre ferme, nous devons le voir rapidement – venez simplement avec lui à "
            "votre rendez-vous. {availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    # -- first answer: may I drive it? ---------------------------------------------------
    ("first_test_drive", "de"): {
        "label": "Erste Nachricht: Probefahrt",
        "subject": "Ihre Probefahrt im {vehicle} bei {dealer}",
        "body": (
            "Hallo {first_name},\n\ngern machen wir Ihnen eine Probefahrt im {vehicle} "
            "möglich. {availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_test_drive", "en"): {
        "label": "First message: test drive",
        "subject": "Your test drive in the {vehicle} at {dealer}",
        "body": (
            "Hello {first_name},\n\nwe would be glad to arrange a test drive in the "
            "{vehicle} for you. {availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_test_drive", "nl"): {
        "label": "Eerste bericht: proefrit",
        "subject": "Uw proefrit in de {vehicle} bij {dealer}",
        "body": (
            "Hallo {first_name},\n\nwe regelen graag een proefrit in de {vehicle} voor u. "
            "{availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    ("first_test_drive", "fr"): {
        "label": "Premier message : essai",
        "subject": "Votre essai de la {vehicle} chez {dealer}",
        "body": (
            "Bonjour {first_name},\n\nnous organisons volontiers un essai de la {vehicle} "
            "pour vous. {availability}\n\n{vehicle_line}\n\n{next_step}\n\n{sender}"
        ),
    },
    # -- the cadence ---------------------------------------------------------------------
    (FOLLOWUP, "de"): {
        "label": "Nachfassen",
        "subject": "Noch Interesse am {vehicle}?",
        "body": (
            "Hallo {first_name},\n\nwir haben Sie leider noch nicht erreicht. "
            "Haben Sie noch Fragen zum {vehicle}? Antworten Sie einfach auf diese Nachricht "
            "– {sender}"
        ),
    },
    (FOLLOWUP, "en"): {
        "label": "Follow-up",
        "subject": "Still interested in the {vehicle}?",
        "body": (
            "Hello {first_name},\n\nwe have not managed to reach you yet. "
            "Do you have any questions about the {vehicle}? Just reply to this message "
            "– {sender}"
        ),
    },
    (FOLLOWUP, "nl"): {
        "label": "Opvolging",
        "subject": "Nog interesse in de {vehicle}?",
        "body": (
            "Hallo {first_name},\n\nhelaas hebben we u nog niet kunnen bereiken. "
            "Heeft u nog vragen over de {vehicle}? Antwoord gewoon op dit bericht "
            "– {sender}"
        ),
    },
    (FOLLOWUP, "fr"): {
        "label": "Relance",
        "subject": "Toujours intéressé par la {vehicle} ?",
        "body": (
            "Bonjour {first_name},\n\nnous n'avons pas encore réussi à vous joindre. "
            "Avez-vous des questions sur la {vehicle} ? Répondez simplement à ce message "
            "– {sender}"
        ),
    },
    (CLOSE, "de"): {
        "label": "Letzte Nachricht",
        "subject": "Ihre Anfrage zum {vehicle}",
        "body": (
            "Hallo {first_name},\n\nwir möchten Sie nicht weiter stören. Wenn Sie noch "
            "Interesse am {vehicle} haben, antworten Sie einfach – wir sind für Sie da. "
            "– {sender}"
        ),
    },
    (CLOSE, "en"): {
        "label": "Last message",
        "subject": "Your enquiry about the {vehicle}",
        "body": (
            "Hello {first_name},\n\nwe don't want to bother you any further. If you are "
            "still interested in the {vehicle}, just reply – we are here for you. "
            "– {sender}"
        ),
    },
    (CLOSE, "nl"): {
        "label": "Laatste bericht",
        "subject": "Uw aanvraag over de {vehicle}",
        "body": (
            "Hallo {first_name},\n\nwe willen u niet langer storen. Heeft u nog "
            "interesse in de {vehicle}, antwoord dan gewoon – we staan voor u klaar. "
            "– {sender}"
        ),
    },
    (CLOSE, "fr"): {
        "label": "Dernier message",
        "subject": "Votre demande concernant la {vehicle}",
        "body": (
            "Bonjour {first_name},\n\nnous ne voulons pas vous déranger davantage. Si la "
            "{vehicle} vous intéresse toujours, répondez simplement – nous sommes là pour "
            "vous. – {sender}"
        ),
    },
    # -- appointments --------------------------------------------------------------------
    (APPOINTMENT, "de"): {
        "label": "Terminbestätigung",
        "subject": "Ihr Termin bei {dealer}: {appointment}",
        "body": (
            "Hallo {first_name},\n\nhiermit bestätigen wir Ihren Termin am {appointment} "
            "bei {dealer} zum {vehicle}. Wir freuen uns auf Sie. – {sender}"
        ),
    },
    (APPOINTMENT, "en"): {
        "label": "Appointment confirmation",
        "subject": "Your appointment at {dealer}: {appointment}",
        "body": (
            "Hello {first_name},\n\nwe confirm your appointment on {appointment} at "
            "{dealer} about the {vehicle}. We look forward to seeing you. – {sender}"
        ),
    },
    (APPOINTMENT, "nl"): {
        "label": "Afspraakbevestiging",
        "subject": "Uw afspraak bij {dealer}: {appointment}",
        "body": (
            "Hallo {first_name},\n\nhierbij bevestigen wij uw afspraak op {appointment} "
            "bij {dealer} over de {vehicle}. We verheugen ons op uw bezoek. – {sender}"
        ),
    },
    (APPOINTMENT, "fr"): {
        "label": "Confirmation de rendez-vous",
        "subject": "Votre rendez-vous chez {dealer} : {appointment}",
        "body": (
            "Bonjour {first_name},\n\nnous confirmons votre rendez-vous le {appointment} "
            "chez {dealer} concernant la {vehicle}. Au plaisir de vous accueillir. – {sender}"
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
    (PHONE_CHECK, "de"): {
        "label": "Telefonnummer erfragen",
        "subject": "Ihre Anfrage zum {vehicle}: unter welcher Nummer erreichen wir Sie?",
        "body": (
            "Hallo {first_name},\n\nwir wollten Sie zu Ihrer Anfrage zum {vehicle} anrufen, "
            "aber unter der angegebenen Nummer erreichen wir Sie leider nicht. Unter welcher "
            "Telefonnummer können wir Sie anrufen? Antworten Sie einfach auf diese E-Mail. "
            "– {salesperson}, {dealer}"
        ),
    },
    (PHONE_CHECK, "en"): {
        "label": "Ask for a phone number",
        "subject": "Your enquiry about the {vehicle}: which number can we call?",
        "body": (
            "Hello {first_name},\n\nwe wanted to call you about your enquiry about the "
            "{vehicle}, but the number we were given does not reach you. Which phone number "
            "can we call you on? Just reply to this email. – {salesperson}, {dealer}"
        ),
    },
    (PHONE_CHECK, "nl"): {
        "label": "Telefoonnummer vragen",
        "subject": "Uw aanvraag over de {vehicle}: op welk nummer kunnen we u bellen?",
        "body": (
            "Hallo {first_name},\n\nwe wilden u bellen over uw aanvraag over de {vehicle}, "
            "maar op het opgegeven nummer bereiken we u helaas niet. Op welk telefoonnummer "
            "kunnen we u bellen? Antwoord gewoon op deze e-mail. – {salesperson}, {dealer}"
        ),
    },
    (PHONE_CHECK, "fr"): {
        "label": "Demander un numéro de téléphone",
        "subject": "Votre demande concernant la {vehicle} : à quel numéro vous joindre ?",
        "body": (
            "Bonjour {first_name},\n\nnous voulions vous appeler au sujet de votre demande "
            "concernant la {vehicle}, mais le numéro indiqué ne permet pas de vous joindre. "
            "À quel numéro pouvons-nous vous appeler ? Répondez simplement à cet e-mail. "
            "– {salesperson}, {dealer}"
        ),
    },
}
PURPOSES = tuple(dict.fromkeys(purpose for purpose, _language in DEFAULTS))

FREE_LABELS = {"de": "Freier Text", "en": "Free text", "nl": "Vrije tekst", "fr": "Texte libre"}
VEHICLE_FALLBACK = {
    "de": "Wunschfahrzeug",
    "en": "car you asked about",
    "nl": "gewenste auto",
    "fr": "voiture demandée",
}
