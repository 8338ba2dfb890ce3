"""SMS text rules: the GSM 03.38 character set, segment counting and the opt-out line.

An SMS made only of GSM-7 characters (3GPP TS 23.038, the "GSM 03.38" default alphabet and its
extension table) fits 160 characters in one segment, 153 per segment when concatenated. One
character outside it — a curly apostrophe in "O’Brien", an en dash from a service name —
switches the whole text to UCS-2: 70 characters, 67 per segment, two or three times the cost.
:func:`to_gsm7` replaces such typographic characters with their GSM twins before sending;
what cannot be replaced (a Cyrillic name) is sent as UCS-2 and counted so (:func:`segments`).

US carriers (CTIA Messaging Principles) expect recurring messages to say how to stop them:
:func:`sms_text` appends "Reply STOP to opt out.".
"""

import math
import unicodedata

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The GSM 03.38 basic character set (escape excluded)."""

GSM7_EXTENSION = "^{}\\[~]|€\f"
"""Characters of the extension table: each takes two septets (escape + character)."""

_GSM7 = frozenset(GSM7_BASIC) | frozenset(GSM7_EXTENSION)

TRANSLITERATIONS = {
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",
    "\u2032": "'",
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',
    "\u2033": '"',
    "\u2013": "-",  # –
    "\u2014": "-",  # —
    "\u2012": "-",
    "\u2212": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u00b7": "-",
    "\u2022": "-",
    "\u00d7": "x",
}
"""Typographic characters and their GSM-7 replacements."""

OPT_OUT_LINE = "Reply STOP to opt out."

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


def is_gsm7(text: str) -> bool:
    """Tell whether every character of ``text`` is in the GSM 03.38 basic or extension set."""
    return all(character in _GSM7 for character in text)


def to_gsm7(text: str) -> str:
    """Return ``text`` with characters outside GSM-7 replaced where a faithful twin exists:
    curly quotes, dashes, ellipsis and odd spaces (:data:`TRANSLITERATIONS`), then accented
    letters by their base letter ("ł" stays, "á" → "a"). Characters with no twin are kept,
    so the text stays complete and is sent as UCS-2."""
    out = []
    for character in text:
        if character in _GSM7:
            out.append(character)
        elif character in TRANSLITERATIONS:
            out.append(TRANSLITERATIONS[character])
        else:
            base = "".join(
                part
                for part in unicodedata.normalize("NFKD", character)
                if not unicodedata.combining(part)
            )
            out.append(base if base and is_gsm7(base) else character)
    return "".join(out)


def encoding(text: str) -> str:
    """Return ``"GSM-7"`` or ``"UCS-2"``: the encoding ``text`` is sent in."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def segments(text: str) -> int:
    """Return the number of SMS segments ``text`` takes (160/153 GSM-7 septets, extension
    characters counting two; 70/67 UTF-16 code units in UCS-2)."""
    if is_gsm7(text):
        length = sum(2 if character in GSM7_EXTENSION else 1 for character in text)
        single, multi = GSM7_SINGLE, GSM7_MULTI
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi = UCS2_SINGLE, UCS2_MULTI
    if length <= single:
        return 1
    return math.ceil(length / multi)


def sms_text(text: str) -> str:
    """Return the SMS to send for ``text``: GSM-7 where possible (:func:`to_gsm7`) and ending
    with :data:`OPT_OUT_LINE`."""
    text = " ".join(text.split())
    if not text.endswith(OPT_OUT_LINE):
        text = f"{text} {OPT_OUT_LINE}"
    return to_gsm7(text)
