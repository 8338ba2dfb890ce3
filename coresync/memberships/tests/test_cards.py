"""The PDF membership card: a valid one-page PDF of card size that says whose card it is."""

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm

from conftest import make_customer
from coresync.memberships.cards import card_fonts, member_number, membership_card_pdf
from coresync.spa.models import SpaSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def membership(spa):
    customer = make_customer("alex@example.com", spa.plans["premium"])
    customer.name = "Alexandra Rivera"
    customer.save(update_fields=["name"])
    return customer.memberships.get()


def text_of(document: bytes) -> str:
    reader = PdfReader(BytesIO(document), strict=True)
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def test_card_is_a_valid_one_page_pdf_of_card_size(membership):
    document = membership_card_pdf(membership)

    assert document.startswith(b"%PDF-")
    assert document.rstrip().endswith(b"%%EOF")
    reader = PdfReader(BytesIO(document), strict=True)
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / mm, 2), round(float(box.height) / mm, 2)) == (85.6, 53.98)
    assert reader.metadata.title == "CoreSync Spa membership card – Alexandra Rivera"


def test_card_shows_spa_member_plan_since_and_number(membership):
    spa_settings = SpaSettings.objects.get(pk=1)
    spa_settings.name = "Luxe Spa NYC"
    spa_settings.save()

    text = text_of(membership_card_pdf(membership))

    for expected in (
        "LUXE SPA NYC",
        "PREMIUM",
        "Alexandra Rivera",
        "MEMBER SINCE",
        "January 2026",
        "MEMBER NO.",
        member_number(membership),
    ):
        assert expected in text, expected


def test_uncompressed_card_contains_the_name_in_its_content(membership):
    document = membership_card_pdf(membership, compress=False)

    assert b"/FlateDecode" not in document
    assert b"Alexandra Rivera" in document or "Alexandra Rivera" in text_of(document)


def test_member_number_is_the_padded_membership_id(membership):
    membership.pk = 42

    assert member_number(membership) == "0000 0042"


def test_long_and_non_latin_names_still_render(spa):
    customer = make_customer("o@example.com", spa.plans["vip"])
    customer.name = "Олександра Шевченко-Монтгомері Вайтфілд Третя"
    customer.save(update_fields=["name"])
    membership = customer.memberships.get()
    membership.started_on = date(2024, 7, 15)

    document = membership_card_pdf(membership)

    text = text_of(document)
    assert "July 2024" in text
    if card_fonts()["serif"] != "Times-Roman":  # DejaVu installed: Cyrillic glyphs embedded
        assert "Олександра" in text
