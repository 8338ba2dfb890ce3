"""The YAML layer (ruamel.yaml): line numbers, YAML 1.1 surprises turned off, and a writer
whose output reads back as what was written."""

from datetime import date

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from coresync.spafile.yaml_io import YAMLError, dump_document, error_line, line_of, load
from coresync.spafile.yaml_io import flow as Flow


def test_loader_records_lines_of_mappings_keys_and_items():
    data, _ = load("a:\n  b: 1\n  c: [x,\n    y]\nd:\n  - {e: 1}\n  - f\n")

    assert (line_of(data, ()), line_of(data, ("a",)), line_of(data, ("d",))) == (1, 1, 5)
    assert (line_of(data, ("a", "b")), line_of(data, ("a", "c"))) == (2, 3)
    assert [line_of(data, ("a", "c", index)) for index in (0, 1)] == [3, 4]
    assert [line_of(data, ("d", index)) for index in (0, 1)] == [6, 7]
    assert line_of(data, ("d", 0, "e")) == 6
    assert line_of(data, ("a", "missing")) == 1


def test_loader_reports_duplicate_keys():
    data, duplicates = load("a: 1\nb: 2\na: 3\n")

    assert data == {"a": 3, "b": 2}
    assert duplicates == [(3, "a")]


def test_loader_error_names_the_line():
    with pytest.raises(YAMLError) as raised:
        load("a: [1,\nb: 2\n")

    assert error_line(raised.value) == 3


def test_loader_keeps_clock_times_and_leading_zeros_as_text():
    data, _ = load("t: 10:00\nu: 09:30\nv: 0755\nw: 12\nx: 1.5\ny: 2026-12-01\nz: 2026-02-30\n")

    assert data == {
        "t": "10:00",
        "u": "09:30",
        "v": "0755",
        "w": 12,
        "x": 1.5,
        "y": date(2026, 12, 1),
        "z": "2026-02-30",
    }


def test_writer_mixes_block_and_flow_like_the_example():
    text = dump_document(
        {
            "rooms": [
                {
                    "slug": "suite-a",
                    "name": "Men's Suite A",
                    "hours": {"mon": Flow([["09:00", "21:00"]])},
                    "maintenance": [Flow({"date": date(2026, 12, 1), "start": "09:00"})],
                    "features": Flow([]),
                }
            ],
            "plans": [Flow({"slug": "base", "priority": False, "monthly_price": "149.00"})],
        },
        header="a header",
    )

    assert text == (
        "# a header\n"
        "\n"
        "rooms:\n"
        "  - slug: suite-a\n"
        "    name: Men's Suite A\n"
        "    hours:\n"
        '      mon: [["09:00", "21:00"]]\n'
        "    maintenance:\n"
        '      - {date: 2026-12-01, start: "09:00"}\n'
        "    features: []\n"
        "\n"
        "plans:\n"
        '  - {slug: base, priority: false, monthly_price: "149.00"}\n'
    )


def test_writer_quotes_what_yaml_would_read_otherwise():
    values = [
        "yes",
        "no",
        "null",
        "on",
        "10:00",
        "12",
        "1.5",
        "2026-12-01",
        "a: b",
        "x #y",
        "-a",
        "",
    ]

    text = dump_document({"values": Flow(values)})

    assert text == (
        'values: ["yes", "no", "null", "on", "10:00", "12", "1.5", "2026-12-01", "a: b", "x #y",'
        ' "-a", ""]\n'
    )


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(TEXT, TEXT)
def test_any_string_reads_back_as_written_in_block_and_flow_style(key, value):
    document = {"block": {key: value}, "flow": Flow({key: [value]})}

    text = dump_document(document)

    expected = {"block": {key: value}, "flow": {key: [value]}}
    assert yaml.safe_load(text) == expected
    assert load(text)[0] == expected
