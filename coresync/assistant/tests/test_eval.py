"""The evaluation set on the demo spa meets the issue's targets (intent ≥ 0.95, entity F1 ≥
0.92, dialogue success ≥ 0.90, no false writes)."""

from io import StringIO

import pytest
from django.core.management import call_command

from coresync.assistant.eval import evaluate
from coresync.bookings.models import Booking
from coresync.spafile.services import import_spa_file
from coresync.spafile.tests.conftest import DEMO_FILE

pytestmark = pytest.mark.django_db


def test_the_evaluation_meets_the_targets(frozen_now):
    import_spa_file(DEMO_FILE)
    bookings = list(Booking.objects.values_list("pk", "status", "start"))

    report = evaluate()

    assert report.utterances >= 300
    assert report.dialogues >= 40
    assert report.intent_accuracy >= 0.95, report.misses
    assert report.entity_f1 >= 0.92, report.misses
    assert report.dialogue_success >= 0.90, report.misses
    assert report.false_writes == 0, report.misses
    # Each dialogue ran in a transaction rolled back.
    assert list(Booking.objects.values_list("pk", "status", "start")) == bookings


def test_the_command_prints_the_numbers_and_leaves_the_database_empty(db):
    out = StringIO()
    call_command("assistant_eval", stdout=out)
    assert "intent accuracy" in out.getvalue()
    assert "false writes: 0" in out.getvalue()
    assert not Booking.objects.exists()
