"""The assistant's evaluation: labelled utterances and scripted dialogues against the demo
spa, scored by ``manage.py assistant_eval`` (docs/assistant.md "Evaluation").

Metrics:

- intent accuracy: share of utterances whose intent is the gold one;
- entity F1: micro-averaged over (kind, value) pairs — service, technician, reference, and
  when: the exact instant in America/New_York when a date and a time are given, else the date
  or the time alone;
- dialogue success: share of dialogues whose database outcome is exactly the expected one;
- false writes: bookings created, cancelled or moved that no dialogue expected (target 0).
"""

import time as perf
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from coresync.accounts.models import User
from coresync.assistant.dates import local_instant
from coresync.assistant.engine import load_catalog
from coresync.assistant.nlu import understand
from coresync.assistant.services import handle_message
from coresync.bookings.models import Booking, BookingStatus
from coresync.spa.selectors import get_settings

HERE = Path(__file__).parent
UTTERANCES = HERE / "utterances.yaml"
DIALOGUES = HERE / "dialogues.yaml"


@dataclass
class Report:
    """The scores and what went wrong (``misses``: one line per miss)."""

    utterances: int = 0
    intent_accuracy: float = 0.0
    entity_precision: float = 0.0
    entity_recall: float = 0.0
    entity_f1: float = 0.0
    dialogues: int = 0
    dialogue_success: float = 0.0
    false_writes: int = 0
    turn_latencies_ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"utterances: {self.utterances}",
            f"intent accuracy: {self.intent_accuracy:.3f}",
            f"entity precision: {self.entity_precision:.3f}  recall: {self.entity_recall:.3f}  "
            f"F1: {self.entity_f1:.3f}",
            f"dialogues: {self.dialogues}",
            f"dialogue success rate: {self.dialogue_success:.3f}",
            f"false writes: {self.false_writes}",
        ]


class _Rollback(Exception):
    pass


def _gold_entities(item: dict, tz) -> set[tuple[str, str]]:
    gold = {
        (kind, str(item[kind])) for kind in ("service", "technician", "reference") if kind in item
    }
    day = date.fromisoformat(item["date"]) if "date" in item else None
    clock = time.fromisoformat(item["time"]) if "time" in item else None
    gold |= _when_pairs(day, clock, tz)
    return gold


def _when_pairs(day: date | None, clock: time | None, tz) -> set[tuple[str, str]]:
    if day and clock:
        instant = local_instant(day, clock, tz)
        return {("instant", instant.isoformat() if instant else "none")}
    if day:
        return {("date", day.isoformat())}
    if clock:
        return {("time", clock.strftime("%H:%M"))}
    return set()


def score_utterances(report: Report, path: Path = UTTERANCES) -> None:
    """Score intent and entities of every labelled utterance (no database writes)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    now = datetime.fromisoformat(data["now"])
    tz = get_settings().zone
    today = now.astimezone(tz).date()
    catalog = load_catalog()
    right = true_positive = predicted_total = gold_total = 0
    for item in data["utterances"]:
        understanding = understand(item["text"], catalog, today)
        if understanding.intent == item["intent"]:
            right += 1
        else:
            report.misses.append(
                f"intent {understanding.intent!r} != {item['intent']!r}: {item['text']}"
            )
        predicted = {
            (kind, value)
            for kind, value in (
                ("service", understanding.service),
                ("technician", understanding.technician),
                ("reference", understanding.reference),
            )
            if value
        } | _when_pairs(understanding.when.day, understanding.when.clock, tz)
        gold = _gold_entities(item, tz)
        true_positive += len(predicted & gold)
        predicted_total += len(predicted)
        gold_total += len(gold)
        if predicted != gold:
            report.misses.append(
                f"entities {sorted(predicted - gold)} / missing {sorted(gold - predicted)}: "
                f"{item['text']}"
            )
    report.utterances = len(data["utterances"])
    report.intent_accuracy = right / report.utterances
    report.entity_precision = true_positive / predicted_total if predicted_total else 1.0
    report.entity_recall = true_positive / gold_total if gold_total else 1.0
    total = report.entity_precision + report.entity_recall
    report.entity_f1 = 2 * report.entity_precision * report.entity_recall / total if total else 0


def _user(email: str | None):
    return User.objects.get(email=email) if email else AnonymousUser()


def _snapshot() -> dict[int, tuple[str, datetime]]:
    return {
        pk: (status, start)
        for pk, status, start in Booking.objects.values_list("pk", "status", "start")
    }


def _run_dialogue(dialogue: dict, now: datetime, report: Report) -> bool:
    """Play one dialogue inside a transaction that is rolled back; return its success and
    count its false writes."""
    outcome = False
    try:
        with transaction.atomic():
            reference = None
            target = None
            if "booking" in dialogue:
                target = Booking.objects.get(
                    customer__email=dialogue["booking"]["customer"],
                    service__slug=dialogue["booking"]["service"],
                )
                reference = target.reference
            before = _snapshot()
            user = _user(dialogue.get("user"))
            conversation = None
            for index, text in enumerate(dialogue["turns"]):
                if index == 1 and dialogue.get("then_user"):
                    user = _user(dialogue["then_user"])
                started = perf.perf_counter()
                answer = handle_message(
                    user=user,
                    text=text.replace("{reference}", reference or ""),
                    conversation_id=conversation,
                    now=now + timedelta(seconds=20 * index),
                )
                report.turn_latencies_ms.append((perf.perf_counter() - started) * 1000)
                conversation = str(answer.conversation.pk)
            outcome = _check(dialogue, before, target, report)
            raise _Rollback
    except _Rollback:
        pass
    return outcome


def _check(dialogue: dict, before: dict, target: Booking | None, report: Report) -> bool:
    after = _snapshot()
    created = [pk for pk in after if pk not in before]
    changed = [pk for pk in before if after.get(pk) != before[pk]]
    expect = dialogue["expect"]
    success = False
    if expect == "none":
        success = not created and not changed
    elif "booked" in expect:
        wanted = expect["booked"]
        if len(created) == 1 and not changed:
            booking = Booking.objects.select_related("service", "technician", "customer").get(
                pk=created[0]
            )
            owner = dialogue.get("then_user") or dialogue.get("user")
            success = (
                booking.service.slug == wanted["service"]
                and booking.start == datetime.fromisoformat(wanted["start"])
                and booking.customer.email == owner
                and (
                    "technician" not in wanted
                    or (booking.technician and booking.technician.slug == wanted["technician"])
                )
            )
    elif "cancelled" in expect:
        success = (
            not created
            and changed == [target.pk]
            and after[target.pk][0] == BookingStatus.CANCELLED
        )
    elif "rescheduled" in expect:
        success = (
            not created
            and changed == [target.pk]
            and after[target.pk][1] == datetime.fromisoformat(expect["rescheduled"])
        )
    if not success:
        # Every write of a dialogue that did not end as expected is a false write.
        report.false_writes += len(created) + len(changed)
        report.misses.append(f"dialogue failed: {dialogue['name']}")
    return success


def run_dialogues(report: Report, path: Path = DIALOGUES) -> None:
    """Play every scripted dialogue (each rolled back) and score them."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    now = datetime.fromisoformat(data["now"])
    results = [_run_dialogue(dialogue, now, report) for dialogue in data["dialogues"]]
    report.dialogues = len(results)
    report.dialogue_success = sum(results) / len(results)


def evaluate() -> Report:
    """Score the utterances and the dialogues on the spa in the database (the demo spa)."""
    report = Report()
    score_utterances(report)
    run_dialogues(report)
    return report
