"""Round trips through the models: any spa the models allow, written by ``export_spa``'s
writer, reads back as the same spa; imported, it exports to a file that imports to the same
rows; and the example and demo files read, write and read back unchanged."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coresync.catalog.models import RoomType
from coresync.core.clock import WEEKDAY_KEYS
from coresync.memberships.models import PLAN_TIERS
from coresync.resources.models import TECHNICIAN_EXCEPTION_KINDS
from coresync.spafile import schema
from coresync.spafile.exporter import document_text
from coresync.spafile.services import export_spa_text, import_spa_text, parse_spa_text
from coresync.spafile.tests.conftest import DEMO_FILE, EXAMPLE_FILE, take_snapshot

pytestmark = pytest.mark.django_db

SECTIONS = [name for name in schema.SECTIONS if name not in ("holds", "bookings")]

slugs = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
# Any text a database can hold (PostgreSQL's cannot hold NUL: the rules refuse it).
texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
names = texts.filter(lambda text: text.strip())
money = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)
percents = st.decimals(min_value=-100, max_value=500, places=2)
days = st.dates(date(2020, 1, 1), date(2035, 12, 31))
durations = st.lists(st.integers(5, 1440), min_size=1, max_size=3, unique=True)


@st.composite
def weekly_hours(draw) -> dict[str, list[tuple[time, time]]]:
    hours = {}
    for day in draw(st.lists(st.sampled_from(WEEKDAY_KEYS), unique=True, max_size=3)):
        marks = sorted(draw(st.lists(st.integers(0, 1439), min_size=2, max_size=6, unique=True)))
        marks = marks[: len(marks) // 2 * 2]
        hours[day] = [
            (time(*divmod(start, 60)), time(*divmod(end, 60)))
            for start, end in zip(marks[::2], marks[1::2], strict=True)
        ]
    return {day: hours[day] for day in WEEKDAY_KEYS if day in hours}


@st.composite
def closure(draw, kind: bool) -> schema.Closure:
    values = {"date": draw(days)}
    if kind:
        values["kind"] = draw(st.sampled_from(TECHNICIAN_EXCEPTION_KINDS))
    if draw(st.booleans()):
        start, end = sorted(
            draw(st.lists(st.integers(0, 1439), min_size=2, max_size=2, unique=True))
        )
        values.update(start=time(*divmod(start, 60)), end=time(*divmod(end, 60)))
    else:
        values["end_date"] = values["date"] + timedelta(days=draw(st.integers(0, 30)))
    if draw(st.booleans()):
        values["note"] = draw(texts.map(lambda text: text[:200]))
    return (schema.Absence if kind else schema.Closure).model_construct(**values)


@st.composite
def spas(draw) -> dict:
    """A valid spa (no bookings: they need free slots), as the models of its sections."""
    plan_slugs = draw(st.lists(slugs, min_size=1, max_size=3, unique=True))
    category_slugs = draw(st.lists(slugs, min_size=1, max_size=3, unique=True))
    service_slugs = draw(st.lists(slugs, min_size=1, max_size=4, unique=True))
    technician_slugs = draw(st.lists(slugs, max_size=3, unique=True))
    emails = draw(st.lists(slugs.map(lambda slug: f"{slug}@example.com"), max_size=4, unique=True))
    split = draw(st.integers(0, len(emails)))
    policy = schema.Policy.model_construct(
        free_until_hours=draw(st.integers(0, 8760)),
        late_fee_percent=draw(st.decimals(0, 100, places=2)),
        no_show_fee_percent=draw(st.decimals(0, 100, places=2)),
    )
    services = []
    for slug in service_slugs:
        minutes = draw(durations)
        values = {
            "slug": slug,
            "name": draw(names),
            "category": draw(st.sampled_from(category_slugs)),
        }
        values["durations"] = minutes
        if draw(st.booleans()):
            values["price"] = draw(money)
        else:
            values["prices"] = {duration: draw(money) for duration in minutes}
        if draw(st.booleans()):
            values["self_guided"] = True
        else:
            values["skill"] = draw(slugs)
        values["room_types"] = draw(
            st.lists(st.sampled_from(RoomType.values), min_size=1, unique=True)
        )
        values["buffer_after"] = draw(st.integers(0, 240))
        services.append(schema.ServiceEntry.model_construct(**values))
    return {
        "settings": schema.Settings.model_construct(
            timezone="America/New_York",
            currency="USD",
            tax_rate=draw(st.decimals(0, 1, places=5)),
            min_notice_minutes=draw(st.integers(0, 43200)),
            cancellation_policy=policy,
        ),
        "plans": [
            schema.Plan.model_construct(
                slug=slug,
                name=draw(names.map(lambda text: text[:100])),
                tier=draw(st.sampled_from(PLAN_TIERS)),
                advance_days=draw(st.integers(0, 730)),
                discount_percent=draw(st.decimals(0, 100, places=2)),
                monthly_price=draw(money),
                benefits=draw(st.lists(names.map(lambda text: text[:200]), max_size=2)),
            )
            for slug in plan_slugs
        ],
        "categories": [
            schema.Category.model_construct(
                slug=slug, name=draw(names.map(lambda text: text[:100]))
            )
            for slug in category_slugs
        ],
        "services": services,
        "addons": [
            schema.AddOnEntry.model_construct(
                slug=draw(slugs),
                name=draw(names.map(lambda text: text[:120])),
                price=draw(money),
                services=draw(st.lists(st.sampled_from(service_slugs), unique=True)),
            )
        ],
        "peak_pricing": [
            schema.PeakWindow.model_construct(
                days=draw(st.lists(st.sampled_from(WEEKDAY_KEYS), min_size=1, unique=True)),
                start=time(9),
                end=time(17, 30),
                modifier_percent=draw(percents),
            )
        ],
        "rooms": [
            schema.RoomEntry.model_construct(
                slug=draw(slugs),
                name=draw(names.map(lambda text: text[:120])),
                room_type=draw(st.sampled_from(RoomType.values)),
                capacity=draw(st.integers(1, 100)),
                hours=draw(weekly_hours()),
                maintenance=draw(st.lists(closure(kind=False), max_size=2)),
            )
        ],
        "technicians": [
            schema.TechnicianEntry.model_construct(
                slug=slug,
                name=draw(names.map(lambda text: text[:120])),
                skills=draw(st.lists(slugs, unique=True, max_size=3)),
                hourly_rate=draw(
                    st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2)
                ),
                weekly_hours=draw(weekly_hours()),
                exceptions=draw(st.lists(closure(kind=True), max_size=2)),
            )
            for slug in technician_slugs
        ],
        "customers": [
            schema.Customer.model_construct(
                email=email,
                name=draw(names.map(lambda text: text[:150])),
                password="change-me-123",
                plan=plan,
                **({"membership_start": draw(days)} if plan else {}),
            )
            for email, plan in (
                (email, draw(st.sampled_from([None, *plan_slugs]))) for email in emails[:split]
            )
        ],
        "staff": [
            schema.StaffMember.model_construct(
                email=email,
                name=draw(names.map(lambda text: text[:150])),
                password="change-me-123",
                role="manager",
            )
            for email in emails[split:]
        ],
    }


def _dump(sections: dict) -> dict:
    return {
        name: value.model_dump(exclude_unset=True)
        if isinstance(value, schema.Entry)
        else [entry.model_dump(exclude_unset=True) for entry in value]
        for name, value in sections.items()
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spas())
def test_any_spa_written_reads_back_as_the_same_models(spa):
    text = document_text(spa)

    document = parse_spa_text(text, filename="spa.yaml")

    assert _dump({name: getattr(document, name) for name in spa}) == _dump(spa)
    assert document_text({name: getattr(document, name) for name in spa}) == text


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spas())
def test_any_spa_imported_exports_a_file_that_imports_to_the_same_rows(frozen_now, spa):
    from django.db import transaction

    with transaction.atomic():
        import_spa_text(document_text(spa), filename="spa.yaml")
        before = take_snapshot()

        import_spa_text(export_spa_text(), filename="export.yaml")

        assert take_snapshot() == before
        transaction.set_rollback(True)


@pytest.mark.parametrize("path", [EXAMPLE_FILE, DEMO_FILE], ids=["example", "demo"])
def test_example_and_demo_read_write_and_read_back_unchanged(frozen_now, path):
    first = parse_spa_text(path.read_text(encoding="utf-8"), filename="spa.yaml")
    sections = {name: getattr(first, name) for name in schema.SECTIONS if getattr(first, name)}

    text = document_text(sections)
    second = parse_spa_text(text, filename="spa.yaml")

    assert _dump({name: getattr(second, name) for name in sections}) == _dump(sections)
    assert document_text({name: getattr(second, name) for name in sections}) == text


def test_the_example_file_is_written_back_line_for_line(frozen_now):
    """Without its comments, the example is what the models write."""
    text = EXAMPLE_FILE.read_text(encoding="utf-8")
    document = parse_spa_text(text, filename="spa.yaml")
    sections = {
        name: getattr(document, name)
        for name in schema.SECTIONS
        if getattr(document, name) is not None
    }

    written = document_text(sections, header="")

    def strip(line: str) -> str:
        return line.split("  #")[0].split(" # ")[0].rstrip()

    expected = [strip(line) for line in text.splitlines() if not line.startswith("#")]
    assert written.splitlines() == expected
