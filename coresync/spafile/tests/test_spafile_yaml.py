"""The YAML layer: line numbers, YAML 1.1 surprises turned off, and a writer whose output
reads back as what was written."""

from datetime import date

import yaml
from hypothesis import given
from hypothesis import strategies as st

from coresync.spafile.yaml_lines import Flow, dump_document, load_with_lines


def test_loader_records_lines_of_mappings_keys_and_items():
    data, duplicates = load_with_lines("a:\n  b: 1\n  c: [x,\n    y]\nd:\n  - {e: 1}\n  - f\n")

    assert (data.line, data.key_lines) == (1, {"a": 1, "d": 5})
    assert (data["a"].line, data["a"].key_lines) == (2, {"b": 2, "c": 3})
    assert data["a"]["c"].item_lines == [3, 4]
    assert data["d"].item_lines == [6, 7]
    assert data["d"][0].line == 6
    assert duplicates == []


def test_loader_reports_duplicate_keys():
    data, duplicates = load_with_lines("a: 1\nb: 2\na: 3\n")

    assert data == {"a": 3, "b": 2}
    assert duplicates == [(3, "a")]


def test_loader_keeps_clock_times_and_leading_zeros_as_text():
    data, _ = load_with_lines(
        "t: 10:00\nu: 09:30\nv: 0755\nw: 12\nx: 1.5\ny: 2026-12-01\nz: 2026-02-30\n"
    )

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
    assert load_with_lines(text)[0] == expected
