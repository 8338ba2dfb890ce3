"""The PDF membership card attached to the welcome email (SPEC §3, §6).

One page the size of a payment card (ISO/IEC 7810 ID-1, 85.60 × 53.98 mm), dark with gold
lettering: the spa's name, the plan, the member's name, "member since" (the first membership),
"valid through", the member number (random, :func:`coresync.memberships.models.new_member_number`)
and a QR code for check-in. The QR code holds a signed member token (:func:`card_token`), never
a bare id: the desk's scanner resolves it with :func:`membership_from_card_token`.

Readable on a phone: no text under 6 pt, every text at least 4.5:1 against the background
(WCAG 2.2 1.4.3). Rendered with reportlab; the QR code with segno; fonts are embedded (DejaVu
when the system has it, so accented and Cyrillic names print; otherwise the PDF standard
fonts, which cover Latin-1).
"""

from io import BytesIO
from pathlib import Path

import segno
from django.core import signing
from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from coresync.memberships.models import Membership, MembershipStatus
from coresync.spa.selectors import get_settings

CARD_WIDTH = 85.60 * mm
CARD_HEIGHT = 53.98 * mm
"""Page size in PDF points (ID-1 card)."""

BACKGROUND = HexColor("#16130F")
GOLD = HexColor("#C9A55C")
GOLD_LIGHT = HexColor("#E6CF9A")
GOLD_DIM = HexColor("#A08850")  # labels: 5.4:1 on the background
FRAME = HexColor("#8C7440")  # decoration only, no text
QR_LIGHT = HexColor("#F6EFDF")
QR_DARK = HexColor("#16130F")

MIN_TEXT_SIZE = 6.0
"""No text on the card is smaller (points)."""

TEXT_COLORS = (GOLD, GOLD_LIGHT, GOLD_DIM)
"""Every colour text is drawn in (each ≥ 4.5:1 on :data:`BACKGROUND`)."""

CARD_TOKEN_SALT = "coresync.memberships.card"
CARD_TOKEN_PREFIX = "CSM1:"
"""The QR payload: ``CSM1:`` + a Django signature over the membership id and number."""

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
_FALLBACK_FONTS = {"serif": "Times-Roman", "serif-bold": "Times-Bold", "sans": "Helvetica"}
_DEJAVU = {
    "serif": ("CoreSyncSerif", "DejaVuSerif.ttf"),
    "serif-bold": ("CoreSyncSerifBold", "DejaVuSerif-Bold.ttf"),
    "sans": ("CoreSyncSans", "DejaVuSans.ttf"),
}
_fonts: dict[str, str] = {}


def card_fonts() -> dict[str, str]:
    """Return the font names to use per role, registering DejaVu once when it is installed."""
    if _fonts:
        return _fonts
    for directory in _FONT_DIRS:
        paths = {role: directory / file for role, (_, file) in _DEJAVU.items()}
        if all(path.is_file() for path in paths.values()):
            for role, (name, _) in _DEJAVU.items():
                pdfmetrics.registerFont(TTFont(name, str(paths[role])))
                _fonts[role] = name
            return _fonts
    _fonts.update(_FALLBACK_FONTS)
    return _fonts


def member_number(membership: Membership) -> str:
    """Return the number printed on the card, in groups: ``"4821 0937 56"`` (the random
    ``Membership.number``). A plan change keeps the row, a returning member the number."""
    digits = membership.number
    return f"{digits[:4]} {digits[4:8]} {digits[8:]}"


def card_token(membership: Membership) -> str:
    """Return the QR payload of ``membership``'s card: ``CSM1:<signed token>`` (HMAC with
    ``SECRET_KEY`` over the membership id and member number; ~50 characters)."""
    token = signing.dumps(
        {"m": membership.pk, "n": membership.number}, salt=CARD_TOKEN_SALT, compress=True
    )
    return CARD_TOKEN_PREFIX + token


def membership_from_card_token(payload: str) -> Membership | None:
    """Return the membership a scanned card payload names, or ``None`` (not a card, forged,
    altered, or a membership whose number no longer matches). The caller checks whether it is
    current (:meth:`Membership.is_current`)."""
    if not payload.startswith(CARD_TOKEN_PREFIX) or len(payload) > 300:
        return None
    try:
        data = signing.loads(payload.removeprefix(CARD_TOKEN_PREFIX), salt=CARD_TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return (
        Membership.objects.select_related("customer", "plan")
        .filter(pk=data.get("m"), number=data.get("n"))
        .first()
    )


def member_since(membership: Membership):
    """Return the start date of the customer's first membership (a returning member's
    "member since" is their first year, not today)."""
    first = (
        Membership.objects.filter(customer_id=membership.customer_id)
        .order_by("started_on")
        .values_list("started_on", flat=True)
        .first()
    )
    return min(filter(None, [first, membership.started_on]))


def valid_through(membership: Membership):
    """Return the last day the card is valid: the end of a cancelled membership, else the end
    of the period paid for (it renews automatically), else ``None``."""
    if membership.ends_on:
        return membership.ends_on
    if membership.status == MembershipStatus.ACTIVE:
        return membership.current_period_end
    return None


def _fit(canvas: Canvas, text: str, font: str, size: float, max_width: float) -> float:
    """Return the largest font size ≤ ``size`` (and ≥ :data:`MIN_TEXT_SIZE`) at which ``text``
    fits in ``max_width``."""
    width = canvas.stringWidth(text, font, size)
    fitted = size if width <= max_width else size * max_width / width
    return max(fitted, MIN_TEXT_SIZE)


def _truncate(canvas: Canvas, text: str, font: str, size: float, max_width: float) -> str:
    """Return ``text`` shortened with "…" until it fits ``max_width`` at ``size``."""
    if canvas.stringWidth(text, font, size) <= max_width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw ``payload`` as a QR code (error correction M, the 4-module quiet zone of
    ISO/IEC 18004, on a light square) with its lower-left corner at ``(x, y)``, ``size``
    points wide."""
    qr = segno.make(payload, error="m", micro=False, boost_error=False)
    matrix = qr.matrix
    modules = len(matrix)
    quiet = 4
    module = size / (modules + 2 * quiet)
    canvas.setFillColor(QR_LIGHT)
    canvas.roundRect(x, y, size, size, 1.2 * mm, stroke=0, fill=1)
    canvas.setFillColor(QR_DARK)
    for row_index, row in enumerate(matrix):
        top = y + size - (quiet + row_index + 1) * module
        column = 0
        while column < modules:
            if row[column]:
                run = column
                while run < modules and row[run]:
                    run += 1
                canvas.rect(
                    x + (quiet + column) * module, top, (run - column) * module, module, 0, 1
                )
                column = run
            else:
                column += 1


def _month_year(day) -> str:
    return f"{day:%B %Y}" if day else ""


def _day(day) -> str:
    return f"{day:%b} {day.day}, {day.year}" if day else "—"


def membership_card_pdf(membership: Membership, *, compress: bool = True) -> bytes:
    """Render ``membership``'s card and return the PDF bytes (one page, 85.60 × 53.98 mm).

    Args:
        membership: with ``customer`` and ``plan`` loaded or loadable.
        compress: deflate page content (default); tests may turn it off to read the text.

    Returns:
        A PDF document starting with ``%PDF-`` whose page shows the spa name (from the spa
        settings), the plan, the member's name (shrunk to fit), "Member since <Month YYYY>"
        (:func:`member_since`), "Valid through" (:func:`valid_through`), the member number
        (:func:`member_number`) and a QR code of :func:`card_token`. Metadata: title, author,
        subject, creator, keywords.
    """
    fonts = card_fonts()
    spa_name = get_settings().name
    customer = membership.customer
    member_name = (customer.name or customer.email).strip()
    plan_name = membership.plan.name
    since = _month_year(member_since(membership))
    through = _day(valid_through(membership))
    number = member_number(membership)

    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(CARD_WIDTH, CARD_HEIGHT), pageCompression=int(compress))
    canvas.setTitle(f"{spa_name} membership card – {member_name}")
    canvas.setAuthor(spa_name)
    canvas.setSubject(f"{plan_name} membership")
    canvas.setCreator(f"{spa_name} (CoreSync)")
    canvas.setKeywords(["membership card", plan_name, spa_name])
    canvas.setProducer("CoreSync")

    margin = 5 * mm
    inner_width = CARD_WIDTH - 2 * margin
    qr_size = 23 * mm
    left_width = inner_width - qr_size - 3 * mm

    # 1. Background and a thin gold frame.
    canvas.setFillColor(BACKGROUND)
    canvas.rect(0, 0, CARD_WIDTH, CARD_HEIGHT, stroke=0, fill=1)
    canvas.setStrokeColor(FRAME)
    canvas.setLineWidth(0.6)
    canvas.roundRect(2.2 * mm, 2.2 * mm, CARD_WIDTH - 4.4 * mm, CARD_HEIGHT - 4.4 * mm, 2.2 * mm)

    # 2. Header: spa name left, plan right, "membership card" under the rule.
    top = CARD_HEIGHT - margin - 3.2 * mm
    canvas.setFillColor(GOLD)
    header = spa_name.upper()
    header_size = _fit(canvas, header, fonts["serif-bold"], 9, inner_width * 0.6)
    header = _truncate(canvas, header, fonts["serif-bold"], header_size, inner_width * 0.6)
    canvas.setFont(fonts["serif-bold"], header_size)
    canvas.drawString(margin, top, header)
    canvas.setFillColor(GOLD_LIGHT)
    plan_label = plan_name.upper()
    plan_size = _fit(canvas, plan_label, fonts["sans"], 7, inner_width * 0.36)
    plan_label = _truncate(canvas, plan_label, fonts["sans"], plan_size, inner_width * 0.36)
    canvas.setFont(fonts["sans"], plan_size)
    canvas.drawRightString(CARD_WIDTH - margin, top + 0.4 * mm, plan_label)
    canvas.setStrokeColor(FRAME)
    canvas.setLineWidth(0.4)
    canvas.line(margin, top - 2.6 * mm, CARD_WIDTH - margin, top - 2.6 * mm)
    canvas.setFillColor(GOLD_DIM)
    canvas.setFont(fonts["sans"], MIN_TEXT_SIZE)
    canvas.drawString(margin, top - 6.6 * mm, "MEMBERSHIP CARD")

    # 3. The member's name, the largest line.
    canvas.setFillColor(GOLD_DIM)
    canvas.setFont(fonts["sans"], MIN_TEXT_SIZE)
    canvas.drawString(margin, 30.5 * mm, "MEMBER")
    canvas.setFillColor(GOLD)
    name_size = _fit(canvas, member_name, fonts["serif"], 13, left_width)
    shown_name = _truncate(canvas, member_name, fonts["serif"], name_size, left_width)
    canvas.setFont(fonts["serif"], name_size)
    canvas.drawString(margin, 25 * mm, shown_name)

    # 4. Member since / valid through, then the member number.
    column = margin + left_width / 2
    canvas.setFillColor(GOLD_DIM)
    canvas.setFont(fonts["sans"], MIN_TEXT_SIZE)
    canvas.drawString(margin, 19 * mm, "MEMBER SINCE")
    canvas.drawString(column, 19 * mm, "VALID THROUGH")
    canvas.drawString(margin, 10.6 * mm, "MEMBER NO.")
    canvas.setFillColor(GOLD_LIGHT)
    canvas.setFont(fonts["sans"], 7.5)
    canvas.drawString(margin, 15.6 * mm, since)
    canvas.drawString(column, 15.6 * mm, through)
    canvas.setFont(fonts["sans"], 8.5)
    canvas.drawString(margin, 6.8 * mm, number)

    # 5. The QR code for check-in, bottom right.
    _draw_qr(canvas, card_token(membership), CARD_WIDTH - margin - qr_size, 5.4 * mm, qr_size)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
