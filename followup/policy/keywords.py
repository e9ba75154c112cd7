"""Reading a customer's reply for an opt-out, the way a person would.

Two answers besides "nothing":

* ``STOP`` — a short message that contains a stop word as a word (English, German, Dutch,
  French and the FCC's list), whatever the case or accents: "Stop bitte", "STOPP!", "opt out",
  "désabonner". The person is opted out at once.
* ``REFUSAL`` — a sentence that refuses contact without a stop word ("Bitte nicht mehr
  anrufen", "niet meer bellen", "no more calls"), or a stop word inside a long message where
  it may mean something else ("… ich wollte nicht, dass der Motor stoppt …"). The cadence
  pauses and a person confirms.

Neither counts as the customer being reached.
"""

from __future__ import annotations

import re
import unicodedata

STOP = "stop"
REFUSAL = "refusal"

# Matched on accent-free, case-folded words. FCC (47 CFR 64.1200(a)(12), 2025): stop, quit,
# end, revoke, opt out, cancel, unsubscribe; plus the usual words of the four languages.
STOP_WORDS = frozenset(
    {
        # English / FCC
        "stop",
        "stopall",
        "end",
        "quit",
        "cancel",
        "unsubscribe",
        "revoke",
        "optout",
        # German
        "stopp",
        "abmelden",
        "abbestellen",
        "austragen",
        "abmeldung",
        # Dutch
        "afmelden",
        "uitschrijven",
        "afmelding",
        # French
        "desabonner",
        "desinscrire",
        "arret",
        "arreter",
        "desabonnement",
    }
)
# Two-word stop phrases, joined before the word check ("opt out", "opt-out").
STOP_PHRASES = (("opt", "out"), ("se", "desabonner"))
# A stop word counts on its own only in a message this short; in a longer one it may be part
# of a sentence about something else, so a person looks at it.
SHORT_WORDS = 6

REFUSAL_PATTERNS = [
    re.compile(p)
    for p in (
        # German
        r"\bnicht (mehr )?(an)?(rufen|kontaktieren|anschreiben|schreiben|melden)\b",
        r"\bkeine (weiteren )?(anrufe|nachrichten|e-?mails|werbung|kontaktaufnahme)\b",
        r"\b(lassen sie|lasst) mich in ruhe\b",
        r"\bkein interesse mehr\b",
        r"\bloschen sie (meine|alle) daten\b",
        # Dutch
        r"\bniet meer (bellen|benaderen|contacteren|mailen|appen)\b",
        r"\bgeen (telefoontjes|berichten|e-?mails|contact) meer\b",
        r"\bbel (me|mij) niet\b",
        # English
        r"\b(no|stop the) more (calls|messages|emails|texts)\b",
        r"\bno more (calls|messages|emails|texts)\b",
        r"\b(do not|don'?t|dont) (call|contact|text|email|message) (me|us)\b",
        r"\bleave me alone\b",
        r"\bremove me\b",
        r"\btake me off\b",
        # French
        r"\bne (plus|pas) (m'?appeler|me contacter|m'?ecrire)\b",
        r"\bne m'?appelez plus\b",
        r"\bplus d'?appels\b",
        r"\barretez de m'?appeler\b",
    )
]


def plain(text: str) -> str:
    """Case-folded, accents removed, apostrophes kept, everything else a single space."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    bare = bare.replace("’", "'").replace("ß", "ss")
    return " ".join(re.sub(r"[^\w']+", " ", bare).split())


def _words(flat: str) -> list[str]:
    words = flat.replace("'", " ").split()
    joined: list[str] = []
    i = 0
    while i < len(words):
        if tuple(words[i : i + 2]) in STOP_PHRASES:
            joined.append("".join(words[i : i + 2]).removeprefix("se"))
            i += 2
            continue
        joined.append(words[i])
        i += 1
    return joined


def classify(text: str) -> str | None:
    """``STOP``, ``REFUSAL`` or None for an ordinary reply."""
    flat = plain(text)
    if not flat:
        return None
    words = _words(flat)
    has_stop_word = any(w in STOP_WORDS for w in words)
    if has_stop_word and len(words) <= SHORT_WORDS:
        return STOP
    if has_stop_word or any(p.search(flat) for p in REFUSAL_PATTERNS):
        return REFUSAL
    return None
