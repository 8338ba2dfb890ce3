"""The PDF membership card: a valid one-page PDF of card size that says whose card it is."""

import re
from datetime import date
from io import BytesIO

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from reportlab.lib.units import mm

from conftest import make_customer
from coresync.memberships.cards import (
    BACKGROUND,
    card_fonts,
    card_token,
    member_number,
    membership_card_pdf,
    membership_from_card_token,
)
from coresync.memberships.models import (
    Membership,
    MembershipStatus,
    is_valid_member_number,
    new_member_number,
)
from coresync.memberships.services import subscribe
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


def test_member_number_is_random_with_a_check_digit_and_not_the_row_id(spa):
    first = make_customer("a@example.com", spa.plans["base"]).memberships.get()
    second = make_customer("b@example.com", spa.plans["base"]).memberships.get()

    assert is_valid_member_number(first.number) and is_valid_member_number(second.number)
    assert first.number != second.number
    assert first.number.lstrip("0") != str(first.pk)
    assert re.fullmatch(r"[1-9]\d{3} \d{4} \d{2}", member_number(first))
    assert not is_valid_member_number(first.number[:-1] + str((int(first.number[-1]) + 1) % 10))


def test_the_migration_gives_existing_members_one_number_each(spa, migrator_numbers):
    """See the ``migrator_numbers`` fixture: the data migration's function on old rows."""
    customer_a, customer_b = migrator_numbers
    numbers_a = set(customer_a.memberships.values_list("number", flat=True))
    numbers_b = set(customer_b.memberships.values_list("number", flat=True))
    assert len(numbers_a) == 1 and len(numbers_b) == 1 and numbers_a != numbers_b
    assert all(is_valid_member_number(number) for number in numbers_a | numbers_b)


@pytest.fixture
def migrator_numbers(spa):
    from importlib import import_module

    from django.apps import apps

    customer_a = make_customer("old-a@example.com", spa.plans["base"])
    customer_b = make_customer("old-b@example.com", spa.plans["base"])
    Membership.objects.create(
        customer=customer_a,
        plan=spa.plans["premium"],
        started_on=date(2020, 1, 1),
        ends_on=date(2020, 6, 30),
        status=MembershipStatus.EXPIRED,
    )
    Membership.objects.update(number="")
    migration = import_module("coresync.memberships.migrations.0002_membership_number")
    migration.fill_numbers(apps, None)
    return customer_a, customer_b


def render_png(document: bytes, scale: float = 8.0):
    """Render the card's page to a PIL image (PDFium, as a phone's viewer would)."""
    pdf = pypdfium2.PdfDocument(document)
    return pdf[0].render(scale=scale).to_pil()


def test_the_qr_code_decodes_to_a_signed_token_of_this_membership(membership):
    image = render_png(membership_card_pdf(membership))

    [barcode] = zxingcpp.read_barcodes(image)

    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.text.startswith("CSM1:") and len(barcode.text) > 40
    assert barcode.text[:30] == card_token(membership)[:30]  # signed: same data, fresh stamp
    assert membership_from_card_token(barcode.text) == membership


def test_a_forged_or_altered_card_token_resolves_to_nothing(membership):
    token = card_token(membership)

    assert membership_from_card_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert membership_from_card_token(f"CSM1:{membership.pk}") is None
    assert membership_from_card_token(str(membership.pk)) is None
    membership.number = new_member_number()
    membership.save(update_fields=["number"])
    assert membership_from_card_token(token) is None  # a re-issued number voids the old card


def test_card_shows_valid_through_and_member_since_the_first_membership(spa, frozen_now):
    customer = make_customer("back@example.com")
    Membership.objects.create(
        customer=customer,
        plan=spa.plans["base"],
        started_on=date(2023, 3, 1),
        ends_on=date(2023, 9, 30),
        status=MembershipStatus.EXPIRED,
    )
    membership = subscribe(customer, spa.plans["premium"], paid=True)

    text = text_of(membership_card_pdf(membership))

    assert "March 2023" in text  # member since the first membership
    assert "VALID THROUGH" in text and "Jan 1, 2027" in text  # the paid period's end
    assert membership.number == customer.memberships.order_by("started_on").first().number


def test_every_text_is_at_least_6_pt_and_4_5_to_1_against_the_card(membership):
    document = membership_card_pdf(membership, compress=False)
    content = b"".join(
        page.get_contents().get_data() for page in PdfReader(BytesIO(document)).pages
    ).decode("latin-1")

    sizes = [float(size) for size in re.findall(r"/\S+ ([\d.]+) Tf", content)]
    assert sizes and min(sizes) >= 6
    colors, current = set(), None
    for match in re.finditer(r"([\d.]+) ([\d.]+) ([\d.]+) rg|\bBT\b(?=[^\n]*Tj)", content):
        if match.group(1):
            current = tuple(float(value) for value in match.groups())
        else:
            colors.add(current)
    assert colors  # each text sets its colour
    for rgb in colors:
        assert contrast(rgb, BACKGROUND.rgb()) >= 4.5, rgb


def contrast(first, second) -> float:
    """WCAG 2.2 contrast ratio of two sRGB colours given as 0–1 floats."""

    def luminance(rgb):
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_card_metadata_is_set(membership):
    metadata = PdfReader(BytesIO(membership_card_pdf(membership))).metadata

    assert metadata.title == "CoreSync Spa membership card – Alexandra Rivera"
    assert metadata.author == "CoreSync Spa"
    assert metadata.subject == "Premium membership"
    assert metadata.creator == "CoreSync Spa (CoreSync)"


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
