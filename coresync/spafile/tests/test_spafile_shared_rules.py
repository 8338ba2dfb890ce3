"""A field's rule is written once: the spa file and the manager services (so the API) refuse
the same value with the same words, because both read it with the same model."""

import pytest

from coresync.catalog.services import create_addon
from coresync.core.errors import InvalidInput
from coresync.memberships.services import create_plan
from coresync.resources.models import Room
from coresync.resources.services import add_room_maintenance, update_room
from coresync.spafile.services import SpaFileError, import_spa_text

pytestmark = pytest.mark.django_db


def _file_message(example_text: str, old: str, new: str) -> str:
    assert old in example_text
    with pytest.raises(SpaFileError) as raised:
        import_spa_text(example_text.replace(old, new, 1), filename="spa.yaml")
    [message] = raised.value.messages
    return message


def _service_refusal(write, *args) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        write(*args)
    return raised.value.fields


def test_a_room_name_and_a_part_day_exception_are_refused_alike(frozen_now, example_text):
    import_spa_text(example_text, filename="spa.yaml")
    room = Room.objects.get(slug="suite-a")

    long_name = "x" * 121
    in_file = _file_message(example_text, "name: Men's Suite A", f"name: {long_name}")
    by_api = _service_refusal(update_room, room, {"name": long_name})
    assert by_api == {"name": "is longer than 120 characters"}
    assert in_file.endswith(f'field "name": {by_api["name"]}')

    in_file = _file_message(
        example_text, 'kind: day_off, start: "12:00", end: "15:00"', 'kind: day_off, start: "12:00"'
    )
    by_api = _service_refusal(add_room_maintenance, room, {"date": "2026-12-10", "start": "12:00"})
    assert list(by_api) == ["end"]
    assert in_file.endswith(f'.end": {by_api["end"]}')


def test_a_plan_and_an_addon_are_refused_alike(frozen_now, example_text):
    in_file = _file_message(example_text, "advance_days: 30", "advance_days: 731")
    plan = {
        "slug": "gold",
        "name": "Gold",
        "tier": "base",
        "advance_days": 731,
        "discount_percent": 10,
        "monthly_price": "99.00",
    }
    by_api = _service_refusal(create_plan, plan)
    assert by_api == {"advance_days": "must be between 0 and 730; got 731"}
    assert in_file.endswith(f'field "advance_days": {by_api["advance_days"]}')

    in_file = _file_message(example_text, "extra_minutes: 15", "extra_minutes: 241")
    addon = {"slug": "oil", "name": "Oil", "price": "10.00", "extra_minutes": 241}
    by_api = _service_refusal(create_addon, addon)
    assert by_api == {"extra_minutes": "must be between 0 and 240; got 241"}
    assert in_file.endswith(f'field "extra_minutes": {by_api["extra_minutes"]}')
