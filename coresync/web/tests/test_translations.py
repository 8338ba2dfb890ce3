"""Every English word of the site comes from the translation catalog, so Ukrainian can be
added without touching templates (issue 5, point 5).

The test builds a pseudo-Ukrainian catalog from the committed English one — every message
wrapped in ⟪…⟫ — serves pages with ``Accept-Language: uk``, and checks that no English
word is left outside the markers, apart from the spa's own data (service, plan and room
names, the address…), which is content, not interface text.
"""

import array
import ast
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from coresync.catalog.models import AddOn, Service, ServiceCategory
from coresync.memberships.models import MembershipPlan
from coresync.resources.models import Room

pytestmark = pytest.mark.django_db

CATALOG = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def read_po(path: Path) -> list[dict]:
    """Return the entries of a .po file: ``{"msgid", "msgid_plural"?, "msgstr"…}``."""
    entries, entry, key = [], {}, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line or line.startswith("#"):
            if "msgid" in entry:
                entries.append(entry)
            entry, key = ({}, None) if not line else (entry, key)
            continue
        if line.startswith('"'):
            entry[key] += ast.literal_eval(line)
            continue
        key, _, value = line.partition(" ")
        entry[key] = ast.literal_eval(value)
    return entries


def write_mo(messages: dict[bytes, bytes], path: Path) -> None:
    """Write a GNU .mo file (the format of msgfmt)."""
    keys = sorted(messages)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(messages[key])))
        ids += key + b"\0"
        strs += messages[key] + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_offsets, value_offsets = [], []
    for id_offset, id_length, str_offset, str_length in offsets:
        key_offsets += [id_length, id_offset + key_start]
        value_offsets += [str_length, str_offset + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 28, 28 + len(keys) * 8, 0, 0)
    table = array.array("i", key_offsets + value_offsets).tobytes()
    path.write_bytes(header + table + ids + strs)


def wrap(text: str) -> str:
    return f"⟪{text}⟫" if text else text


@pytest.fixture
def pseudo_ukrainian(tmp_path, settings):
    messages = {}
    for entry in read_po(CATALOG):
        if entry["msgid"] == "":
            messages[b""] = (
                b"Content-Type: text/plain; charset=UTF-8\n"
                b"Plural-Forms: nplurals=2; plural=(n != 1);\n"
            )
        elif "msgid_plural" in entry:
            key = f"{entry['msgid']}\0{entry['msgid_plural']}".encode()
            forms = [wrap(entry["msgid"]), wrap(entry["msgid_plural"])]
            messages[key] = "\0".join(forms).encode()
        else:
            messages[entry["msgid"].encode()] = wrap(entry["msgid"]).encode()
    folder = tmp_path / "uk" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    write_mo(messages, folder / "django.mo")
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    settings.LANGUAGES = [("en", "English"), ("uk", "Ukrainian")]


class TextCollector(HTMLParser):
    """Collect visible text and spoken labels of a page's body."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.skip = 0
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.in_body = True
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "alt", "placeholder", "data-announce") and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if self.in_body and not self.skip and data.strip():
            self.texts.append(data)


def untranslated(page: str, content: list[str]) -> list[str]:
    collector = TextCollector()
    collector.feed(page)
    leftovers = []
    for text in collector.texts:
        rest = re.sub(r"⟪.*?⟫", " ", text, flags=re.S)
        for value in sorted(content, key=len, reverse=True):
            rest = rest.replace(value, " ")
        if re.search(r"[A-Za-z]{2,}", rest):
            leftovers.append(text.strip())
    return leftovers


def spa_content() -> list[str]:
    """The spa's own data: names and texts that come from the database, not the catalog."""
    values = [settings.SPA_ADDRESS, settings.SPA_DIRECTIONS, settings.SPA_PARKING]
    values.append(settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">"))
    values += ["CoreSync Spa", "min", "USD", "CS-", "AM", "PM"]
    for model, fields in (
        (Service, ("name", "description")),
        (ServiceCategory, ("name",)),
        (MembershipPlan, ("name", "birthday_benefit")),
        (AddOn, ("name",)),
        (Room, ("name",)),
    ):
        for row in model.objects.values(*fields):
            values += [value for value in row.values() if value]
    for plan in MembershipPlan.objects.all():
        values += plan.benefits
    return [value for value in values if value]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/mens-suite/",
        "/private-spa/",
        "/services/",
        "/membership/",
        "/contact/",
        "/legal/cancellation/",
        "/account/login/",
        "/account/signup/",
        "/book/",
        "/book/?service=swedish",
        "/book/?service=swedish&date=2026-12-02",
    ],
)
def test_every_english_word_comes_from_the_catalog(client, spa, frozen_now, pseudo_ukrainian, path):
    response = client.get(path, headers={"Accept-Language": "uk"})
    page = response.content.decode()
    assert '<html lang="uk"' in page
    assert untranslated(page, spa_content()) == []


def test_the_catalog_has_the_sites_messages():
    msgids = {entry["msgid"] for entry in read_po(CATALOG)}
    for text in ("Book a treatment", "Members only", "Confirm booking", "Any available therapist"):
        assert text in msgids
