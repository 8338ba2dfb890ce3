"""A bad spa file: every message names the file, line, entry and field, and nothing is
written — not even the valid entries before the bad one."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from coresync.spafile.services import SpaFileError, import_spa_text
from coresync.spafile.tests.conftest import EXAMPLE_FILE

pytestmark = pytest.mark.django_db

CASES = {
    "unknown room type": (
        ("room_types: [shared]", "room_types: [sauna]"),
        'spa.yaml:54: services[2] (slug "steam-room"): field "room_types[0]": '
        'unknown room type "sauna" (use mensuite, private, shared, vip)',
    ),
    "unknown category": (
        ("category: thermal", "category: spa"),
        'spa.yaml:50: services[2] (slug "steam-room"): field "category": unknown category "spa"',
    ),
    "unknown field, with a suggestion": (
        ("buffer_after: 10", "buffer_afer: 10"),
        'spa.yaml:46: services[1] (slug "hot-towel-shave"): field "buffer_afer": '
        'unknown field (did you mean "buffer_after"?)',
    ),
    "missing required field": (
        ("{slug: barber, name: Barber}", "{slug: barber}"),
        'spa.yaml:24: categories[1] (slug "barber"): field "name": required field is missing',
    ),
    "duplicate slug": (
        ("{slug: thermal, name: Thermal}", "{slug: massage, name: Thermal}"),
        'spa.yaml:25: categories[2] (slug "massage"): field "slug": '
        'duplicate slug "massage" (first on line 23)',
    ),
    "time not HH:MM": (
        ('wed: [["09:00", "21:00"]]', 'wed: [["9:00", "21:00"]]'),
        'spa.yaml:75: rooms[0] (slug "suite-a"): field "hours.wed[0][0]": '
        'expected a time "HH:MM" (00:00 to 23:59); got "9:00"',
    ),
    "window ending before it starts": (
        (
            'mon: [["09:00", "13:00"], ["14:00", "18:00"]]',
            'mon: [["09:00", "13:00"], ["18:00", "14:00"]]',
        ),
        'spa.yaml:97: technicians[0] (slug "lena"): field "weekly_hours.mon[1]": '
        'end "14:00" is not after start "18:00"',
    ),
    "overlapping windows": (
        (
            'mon: [["09:00", "13:00"], ["14:00", "18:00"]]',
            'mon: [["09:00", "13:00"], ["12:00", "18:00"]]',
        ),
        'spa.yaml:97: technicians[0] (slug "lena"): field "weekly_hours.mon": '
        'windows overlap ("12:00" is before "13:00")',
    ),
    "unknown weekday": (
        ('tue: [["10:00", "19:00"]]', 'tues: [["10:00", "19:00"]]'),
        'spa.yaml:110: technicians[1] (slug "omar"): field "weekly_hours.tues": '
        'unknown weekday "tues" (use mon, tue, wed, thu, fri, sat, sun)',
    ),
    "money written as a number": (
        ('price: "75.00"', "price: 75.00"),
        'spa.yaml:42: services[1] (slug "hot-towel-shave"): field "price": expected an amount '
        'as a string with two decimals, e.g. "180.00"; got the number 75.0 '
        "(put it in quotes so both decimals are kept)",
    ),
    "tax rate as a percentage": (
        ('tax_rate: "0.08875"', 'tax_rate: "8.875"'),
        'spa.yaml:8: settings: field "tax_rate": must be between 0 and 1 '
        "(a fraction, not a percentage); got 8.875",
    ),
    "date that does not exist": (
        ("valid_from: 2026-01-01", "valid_from: 2026-02-30"),
        'spa.yaml:100: technicians[0] (slug "lena"): field "valid_from": '
        '"2026-02-30" is not a valid date',
    ),
    "date-time without offset": (
        ('start: "2026-12-07T10:00:00-05:00"', 'start: "2026-12-07T10:00:00"'),
        'spa.yaml:124: bookings[0] (customer "premium@example.com"): field "start": '
        '"2026-12-07T10:00:00" has no UTC offset; write it like "2026-12-07T10:00:00-05:00"',
    ),
    "unknown exception kind": (
        ("kind: holiday", "kind: party"),
        'spa.yaml:103: technicians[0] (slug "lena"): field "exceptions[0].kind": '
        'unknown kind "party" (use day_off, holiday, vacation, sick_leave, other)',
    ),
    "part-day exception without end": (
        ('kind: day_off, start: "12:00", end: "15:00"', 'kind: day_off, start: "12:00"'),
        'spa.yaml:104: technicians[0] (slug "lena"): field "exceptions[1].end": give both '
        '"start" and "end" for part of a day, or neither for whole days',
    ),
    "unknown plan": (
        ("plan: premium", "plan: gold"),
        'spa.yaml:116: customers[1] (email "premium@example.com"): field "plan": '
        'unknown plan "gold"',
    ),
    "unknown technician for a login": (
        ("role: technician, technician: lena", "role: technician, technician: lena-park"),
        'spa.yaml:121: staff[1] (email "lena@example.com"): field "technician": '
        'unknown technician "lena-park"',
    ),
    "booking of a duration the service does not have": (
        ("service: deep-tissue, duration: 60", "service: deep-tissue, duration: 75"),
        'spa.yaml:124: bookings[0] (customer "premium@example.com"): field "duration": '
        "deep-tissue has no 75-minute variant (durations: [60, 90])",
    ),
    "add-on not offered with the service": (
        (
            "services: [deep-tissue]}\n  - {slug: hot-stones",
            "services: [steam-room]}\n  - {slug: hot-stones",
        ),
        'spa.yaml:124: bookings[0] (customer "premium@example.com"): field "addons[0]": '
        'add-on "cbd-oil" is not offered with "deep-tissue"',
    ),
    "unknown section": (
        ("\nbookings:", "\nbooking:"),
        'spa.yaml:123: section "booking": unknown section (did you mean "bookings"?); sections '
        "are settings, plans, categories, services, addons, peak_pricing, rooms, technicians, "
        "customers, staff, holds, bookings, products, packages",
    ),
    "key written twice": (
        ("    capacity: 4\n", "    capacity: 4\n    capacity: 5\n"),
        'spa.yaml:86: key "capacity": written twice in the same mapping',
    ),
    "not YAML": (
        ("  - {slug: massage, name: Massage}", "  - {slug: massage, name: Massage"),
        "spa.yaml:24: not valid YAML: expected ',' or '}', but got '{'",
    ),
}


def _bad_file(example_text: str, replace: tuple[str, str]) -> str:
    old, new = replace
    assert old in example_text
    # A valid change before the bad entry, to prove it is not written either.
    return example_text.replace(old, new, 1).replace('"180.00"', '"185.00"')


@pytest.mark.parametrize("case", CASES.keys())
def test_bad_file_names_file_line_entry_and_field_and_writes_nothing(
    case, frozen_now, example_text, snapshot
):
    replace, message = CASES[case]
    import_spa_text(example_text, filename="spa.yaml")
    before = snapshot()

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(_bad_file(example_text, replace), filename="spa.yaml")

    assert raised.value.messages == [message]
    assert snapshot() == before


def test_every_problem_is_reported_at_once_in_line_order(frozen_now, example_text, snapshot):
    text = (
        example_text.replace("room_types: [shared]", "room_types: [sauna]")
        .replace("buffer_after: 10", "buffer_afer: 10")
        .replace("plan: premium", "plan: gold")
    )

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(text, filename="spa.yaml")

    assert [message.split(":")[1] for message in raised.value.messages] == ["46", "54", "116"]
    # the role groups come with the database (migration), not from the file
    assert all(table == [] for label, table in snapshot().items() if label != "auth.Group")


def test_booking_refused_by_the_booking_service_rolls_back_everything(
    frozen_now, example_text, snapshot
):
    before = snapshot()
    late = (
        "  - {customer: guest@example.com, service: deep-tissue, duration: 60, technician: lena,"
        ' room: suite-a, start: "2026-12-08T10:00:00-05:00", addons: []}\n'
    )

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(example_text + late, filename="spa.yaml")

    assert raised.value.messages == [
        'spa.yaml:125: bookings[1] (customer "guest@example.com"): cannot be booked: '
        "That start time is outside working hours. (outside_working_hours)"
    ]
    assert snapshot() == before


def test_booking_clashing_with_another_in_the_file_rolls_back(frozen_now, example_text, snapshot):
    clash = (
        "  - {customer: guest@example.com, service: deep-tissue, duration: 90, technician: lena,"
        ' room: suite-a, start: "2026-12-07T10:30:00-05:00"}\n'
    )

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(example_text + clash, filename="spa.yaml")

    assert len(raised.value.messages) == 1
    assert raised.value.messages[0].startswith(
        'spa.yaml:125: bookings[1] (customer "guest@example.com"): cannot be booked: '
    )
    assert raised.value.messages[0].endswith("(slot_unavailable)")
    # the role groups come with the database (migration), not from the file
    assert all(table == [] for label, table in snapshot().items() if label != "auth.Group")


def test_group_booking_cannot_name_one_technician(frozen_now, example_text):
    text = example_text.replace("addons: [cbd-oil]}", "addons: [cbd-oil], guests: 2}")

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(text, filename="spa.yaml")

    assert raised.value.messages == [
        'spa.yaml:124: bookings[0] (customer "premium@example.com"): field "technician": a '
        "booking for several guests gets one technician per guest, chosen when it is made: "
        'leave "technician" out'
    ]


def test_new_account_needs_a_password(frozen_now, example_text, snapshot):
    text = example_text.replace(
        '{email: guest@example.com, name: Gia Guest, password: "change-me-123"}',
        "{email: guest@example.com, name: Gia Guest}",
    )

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(text, filename="spa.yaml")

    assert raised.value.messages == [
        'spa.yaml:115: customers[0] (email "guest@example.com"): field "password": '
        "required for a new account"
    ]
    # the role groups come with the database (migration), not from the file
    assert all(table == [] for label, table in snapshot().items() if label != "auth.Group")


def test_empty_file_is_refused(db):
    with pytest.raises(SpaFileError) as raised:
        import_spa_text("", filename="spa.yaml")

    assert raised.value.messages == [
        "spa.yaml:1: expected a mapping of sections (settings, plans, categories, services, "
        "addons, peak_pricing, rooms, technicians, customers, staff, holds, bookings, "
        "products, packages); got nothing"
    ]


def test_command_error_lists_the_problems_with_the_path(frozen_now, tmp_path, snapshot):
    path = tmp_path / "spa.yaml"
    path.write_text(EXAMPLE_FILE.read_text().replace("room_types: [shared]", "room_types: [sauna]"))

    with pytest.raises(CommandError) as raised:
        call_command("import_spa", str(path), stdout=StringIO())

    assert str(raised.value) == (
        f"{path}: 1 problem, nothing was imported:\n"
        f'{path}:54: services[2] (slug "steam-room"): field "room_types[0]": '
        'unknown room type "sauna" (use mensuite, private, shared, vip)'
    )
    # the role groups come with the database (migration), not from the file
    assert all(table == [] for label, table in snapshot().items() if label != "auth.Group")


def test_command_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError) as raised:
        call_command("import_spa", str(tmp_path / "nope.yaml"))

    assert str(raised.value) == f"{tmp_path / 'nope.yaml'}: no such file"


def test_an_entry_with_a_bad_field_still_has_its_references_checked(frozen_now, example_text):
    text = example_text.replace("room_types: [shared]", "room_types: [sauna]").replace(
        "category: thermal", "category: spa"
    )

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(text, filename="spa.yaml")

    assert raised.value.messages == [
        'spa.yaml:50: services[2] (slug "steam-room"): field "category": unknown category "spa"',
        'spa.yaml:54: services[2] (slug "steam-room"): field "room_types[0]": '
        'unknown room type "sauna" (use mensuite, private, shared, vip)',
    ]


def test_a_booking_naming_an_unknown_add_on_is_refused(frozen_now, example_text, snapshot):
    text = example_text.replace("addons: [cbd-oil]}", "addons: [cbd-oyl]}")
    before = snapshot()

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(text, filename="spa.yaml")

    assert raised.value.messages == [
        'spa.yaml:124: bookings[0] (customer "premium@example.com"): field "addons[0]": '
        'unknown add-on "cbd-oyl"'
    ]
    assert snapshot() == before


def test_a_key_written_twice_does_not_hide_the_other_problems(frozen_now, example_text):
    text = example_text.replace("    capacity: 4\n", "    capacity: 4\n    capacity: 5\n").replace(
        "plan: premium", "plan: gold"
    )

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(text, filename="spa.yaml")

    assert raised.value.messages == [
        'spa.yaml:86: key "capacity": written twice in the same mapping',
        'spa.yaml:117: customers[1] (email "premium@example.com"): field "plan": '
        'unknown plan "gold"',
    ]


def test_text_with_a_nul_character_is_refused(frozen_now, example_text, snapshot):
    before = snapshot()
    text = example_text.replace("name: Gia Guest", 'name: "Gia\\0 Guest"')

    with pytest.raises(SpaFileError) as raised:
        import_spa_text(text, filename="spa.yaml")

    assert raised.value.messages == [
        'spa.yaml:115: customers[0] (email "guest@example.com"): field "name": '
        "must not contain the NUL character"
    ]
    assert snapshot() == before
