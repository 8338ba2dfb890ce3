"""Understanding a message with no external service: intent rules, then the nearest example
utterance (rapidfuzz over ``examples.yaml``); entities from the spa's own catalog with fuzzy
matching, days and times from :mod:`coresync.assistant.dates`, booking references by the
project's pattern (``CS-2026-000123``).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from coresync.assistant.dates import WhenMention, parse_when

EXAMPLES_PATH = Path(__file__).with_name("examples.yaml")
REFERENCE_RE = re.compile(r"\b([A-Za-z]{2})-(\d{4})-(\d{6})\b")
# Words that say nothing about which service ("a massage" alone is not a choice).
GENERIC_WORDS = {"massage", "treatment", "session", "room", "the", "a", "an", "and", "spa"}

INTENTS = (
    "book",
    "price",
    "my_bookings",
    "cancel",
    "reschedule",
    "info",
    "confirm",
    "deny",
    "another_time",
    "handoff",
    "services",
    "greet",
    "unknown",
)

_RULES: tuple[tuple[str, re.Pattern], ...] = tuple(
    (intent, re.compile("|".join(patterns), re.I))
    for intent, patterns in (
        (
            "handoff",
            (
                r"\b(human|real person|agent|front desk|staff member|operator)\b",
                r"\b(speak|talk) (to|with) (a|an|someone|somebody|the)\b",
            ),
        ),
        (
            "deny",
            (
                r"^\s*(no|nope|nah|no thanks|no thank you|not now|never ?mind|cancel that)"
                r"[\s.!,]*$",
                r"^\s*(forget it|don'?t|do not|stop)\b[\s.!,]*$",
            ),
        ),
        (
            "confirm",
            (
                r"^\s*(yes|yeah|yep|yup|sure|ok|okay|confirm|confirmed|book it|do it|go ahead"
                r"|please do|sounds good|perfect|great|that works|correct|y)\b"
                r"(?!.*\b(but|instead|another|different|cancel)\b)",
            ),
        ),
        (
            "another_time",
            (
                r"\b(another|different|other|later|earlier)\s+(time|day|slot|one)s?\b",
                r"\bsomething (else|later|earlier)\b",
            ),
        ),
        ("cancel", (r"\bcancel(?!lation polic)",)),
        (
            "reschedule",
            (r"\b(reschedul\w*|move|postpone|push back|change the (time|date|day))\b",),
        ),
        (
            "my_bookings",
            (
                r"\b(my|upcoming)\s+(bookings?|appointments?|reservations?|visits?)\b",
                r"\bwhat (have|did) i book",
            ),
        ),
        (
            "info",
            (
                r"\b(hours|open|opening|close|closing|address|where are you|located|location)\b",
                r"\b(parking|park|policy|policies|memberships?|benefits|tiers?|plans?)\b",
                r"\b(phone number|email|contact)\b",
            ),
        ),
        ("price", (r"\b(how much|price|prices|pricing|cost|costs|rates?|fee)\b",)),
        (
            "book",
            (
                r"\b(book|booking|appointment|reserve|reservation|available|availability)\b",
                r"\b(free|open slots?|openings?|slots?|schedule|can i (get|have|come))\b",
                r"\b(i'?d like|i want|is there)\b",
            ),
        ),
        ("services", (r"\b(services|menu|what do you (offer|have)|treatments)\b",)),
        ("greet", (r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b[\s!.,]*$",)),
    )
)


@dataclass
class Catalog:
    """The spa's vocabulary: alias → slug for services, add-ons and technicians (first
    names), and the durations each service offers."""

    services: dict[str, str] = field(default_factory=dict)
    addons: dict[str, str] = field(default_factory=dict)
    technicians: dict[str, str] = field(default_factory=dict)
    durations: dict[str, list[int]] = field(default_factory=dict)
    service_names: dict[str, str] = field(default_factory=dict)


@dataclass
class Understanding:
    """One message understood: its intent and the entities it names."""

    intent: str
    text: str = ""
    service: str | None = None
    duration: int | None = None
    addons: list[str] = field(default_factory=list)
    technician: str | None = None
    when: WhenMention = field(default_factory=WhenMention)
    reference: str | None = None


def _aliases(name: str, slug: str) -> set[str]:
    aliases = {name.lower(), slug.replace("-", " ").lower()}
    specific = " ".join(word for word in name.lower().split() if word not in GENERIC_WORDS)
    if specific and len(specific) >= 3:
        aliases.add(specific)
    return aliases


def build_catalog(services, addons, technicians) -> Catalog:
    """Return the vocabulary of ``services`` (with ``variants`` prefetched), ``addons`` and
    ``technicians`` (model rows)."""
    catalog = Catalog()
    for service in services:
        catalog.service_names[service.slug] = service.name
        catalog.durations[service.slug] = sorted(v.minutes for v in service.variants.all())
        for alias in _aliases(service.name, service.slug):
            catalog.services.setdefault(alias, service.slug)
    for addon in addons:
        for alias in _aliases(addon.name, addon.slug):
            catalog.addons.setdefault(alias, addon.slug)
    for technician in technicians:
        first_name = technician.name.split()[0].lower() if technician.name else technician.slug
        catalog.technicians.setdefault(first_name, technician.slug)
        catalog.technicians.setdefault(technician.name.lower(), technician.slug)
    return catalog


def _ngrams(words: list[str], longest: int = 4) -> list[str]:
    grams = []
    for size in range(1, longest + 1):
        grams.extend(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return grams


def _match(
    grams: list[str], aliases: dict[str, str], cutoff: float
) -> list[tuple[str, float, str]]:
    """Return ``(slug, score, gram)`` for grams matching an alias, best first."""
    found = []
    for gram in grams:
        if len(gram) < 3:
            continue
        best = process.extractOne(gram, aliases.keys(), scorer=fuzz.ratio, score_cutoff=cutoff)
        if best is not None:
            alias, score, _index = best
            # Short words match exactly only ("ben" is not "been").
            if len(alias) <= 4 and gram != alias:
                continue
            found.append((aliases[alias], score + len(gram) / 100, gram))
    return sorted(found, key=lambda item: -item[1])


def find_service(text: str, catalog: Catalog) -> str | None:
    words = re.findall(r"[a-z0-9']+", text.lower())
    found = _match(_ngrams(words), catalog.services, 86)
    return found[0][0] if found else None


def find_addons(text: str, catalog: Catalog) -> list[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return sorted({slug for slug, _score, _gram in _match(_ngrams(words, 3), catalog.addons, 88)})


def find_technician(text: str, catalog: Catalog) -> str | None:
    words = re.findall(r"[a-z']+", text.lower())
    found = _match(_ngrams(words, 2), catalog.technicians, 88)
    return found[0][0] if found else None


def find_duration(text: str) -> int | None:
    lowered = text.lower()
    if re.search(r"\b(an? )?hour and a half\b|\bone and a half hours?\b|\b1\.5 ?h", lowered):
        return 90
    match = re.search(r"\b(\d{2,3})\s*-?\s*(?:minutes?|mins?|m)\b", lowered)
    if match:
        return int(match.group(1))
    match = re.search(r"\b(\d)\s*-?\s*(?:hours?|hrs?|h)\b", lowered)
    if match:
        return int(match.group(1)) * 60
    if re.search(r"\b(an|one)\s+hour\b|\bhour[- ]long\b", lowered):
        return 60
    return None


def find_reference(text: str) -> str | None:
    match = REFERENCE_RE.search(text)
    if match is None:
        return None
    return f"{match.group(1).upper()}-{match.group(2)}-{match.group(3)}"


@cache
def _examples() -> tuple[list[str], list[str]]:
    data = yaml.safe_load(EXAMPLES_PATH.read_text(encoding="utf-8"))
    texts, intents = [], []
    for intent, utterances in data["intents"].items():
        for utterance in utterances:
            texts.append(utterance.lower())
            intents.append(intent)
    return texts, intents


def classify(text: str) -> tuple[str, bool]:
    """Return the intent of ``text`` and whether a rule decided it: the first rule that
    matches, else the nearest example utterance (token-sort similarity ≥ 75), else
    ``unknown``."""
    for intent, pattern in _RULES:
        if pattern.search(text):
            return intent, True
    texts, intents = _examples()
    best = process.extractOne(text.lower(), texts, scorer=fuzz.token_sort_ratio, score_cutoff=75)
    return (intents[best[2]] if best else "unknown"), False


def understand(text: str, catalog: Catalog, today: date) -> Understanding:
    """Return the intent and entities of ``text`` (``today``: the spa-local date)."""
    # A sentence that tries to give orders to the assistant names nothing it acts on.
    intent, by_rule = classify(text)
    understanding = Understanding(
        intent=intent,
        text=text,
        service=find_service(text, catalog),
        duration=find_duration(text),
        addons=find_addons(text, catalog),
        technician=find_technician(text, catalog),
        when=parse_when(text, today),
        reference=find_reference(text),
    )
    names_a_choice = bool(
        understanding.service
        or understanding.when.day
        or understanding.when.clock
        or understanding.technician
    )
    if names_a_choice and (not by_rule or understanding.intent in ("greet", "services", "unknown")):
        # "swedish please", "2 pm": a choice in the booking, not the nearest example.
        understanding.intent = "book"
    return understanding
