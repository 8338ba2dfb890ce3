"""The PDF membership card attached to the welcome email (SPEC §3, §6).

One page the size of a payment card (ISO/IEC 7810 ID-1, 85.60 × 53.98 mm), dark with gold
lettering: the spa's name, the plan, the member's name, "member since" and the member number.
Rendered with reportlab; fonts are embedded (DejaVu when the system has it, so accented and
Cyrillic names print; otherwise the PDF standard fonts, which cover Latin-1).
"""

from io import BytesIO
from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from coresync.memberships.models import Membership
from coresync.spa.selectors import get_settings

CARD_WIDTH = 85.60 * mm
CARD_HEIGHT = 53.98 * mm
"""Page size in PDF points (ID-1 card)."""

BACKGROUND = HexColor("#16130F")
GOLD = HexColor("#C9A55C")
GOLD_LIGHT = HexColor("#E6CF9A")
GOLD_DIM = HexColor("#8C7440")

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
    """Return the number printed on the card: ``"0000 0042"`` (the membership id, 8 digits in
    two groups). It stays the same across plan changes, which keep the membership row."""
    digits = f"{membership.pk:08d}"
    return f"{digits[:4]} {digits[4:]}"


def _fit(canvas: Canvas, text: str, font: str, size: float, max_width: float) -> float:
    """Return the largest font size ≤ ``size`` at which ``text`` fits in ``max_width``."""
    width = canvas.stringWidth(text, font, size)
    return size if width <= max_width else size * max_width / width


def _spaced(text: str) -> str:
    """Letter-space a short label (``"Member"`` → ``"M E M B E R"``) for the engraved look;
    words are kept apart by three spaces."""
    return "   ".join(" ".join(word.upper()) for word in text.split())


def membership_card_pdf(membership: Membership, *, compress: bool = True) -> bytes:
    """Render ``membership``'s card and return the PDF bytes (one page, 85.60 × 53.98 mm).

    Args:
        membership: with ``customer`` and ``plan`` loaded or loadable.
        compress: deflate page content (default); tests may turn it off to read the text.

    Returns:
        A PDF document starting with ``%PDF-`` whose page shows the spa name (from the spa
        settings), the plan, the member's name (shrunk to fit), "Member since <Month YYYY>"
        (``started_on``) and :func:`member_number`. Title/author metadata are set.
    """
    fonts = card_fonts()
    spa_name = get_settings().name
    customer = membership.customer
    member_name = (customer.name or customer.email).strip()
    plan_name = membership.plan.name
    since = membership.started_on.strftime("%B %Y")
    number = member_number(membership)

    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(CARD_WIDTH, CARD_HEIGHT), pageCompression=int(compress))
    canvas.setTitle(f"{spa_name} membership card – {member_name}")
    canvas.setAuthor(spa_name)
    canvas.setSubject(f"{plan_name} membership")

    margin = 5 * mm
    inner_width = CARD_WIDTH - 2 * margin

    # 1. Background and a thin gold frame.
    canvas.setFillColor(BACKGROUND)
    canvas.rect(0, 0, CARD_WIDTH, CARD_HEIGHT, stroke=0, fill=1)
    canvas.setStrokeColor(GOLD_DIM)
    canvas.setLineWidth(0.6)
    canvas.roundRect(2.2 * mm, 2.2 * mm, CARD_WIDTH - 4.4 * mm, CARD_HEIGHT - 4.4 * mm, 2.2 * mm)

    # 2. Header: spa name left, plan right.
    top = CARD_HEIGHT - margin - 3.2 * mm
    canvas.setFillColor(GOLD)
    header = spa_name.upper()
    header_size = _fit(canvas, header, fonts["serif-bold"], 9, inner_width * 0.62)
    canvas.setFont(fonts["serif-bold"], header_size)
    canvas.drawString(margin, top, header)
    canvas.setFillColor(GOLD_LIGHT)
    plan_label = plan_name.upper()
    plan_size = _fit(canvas, plan_label, fonts["sans"], 6.5, inner_width * 0.34)
    canvas.setFont(fonts["sans"], plan_size)
    canvas.drawRightString(CARD_WIDTH - margin, top + 0.4 * mm, plan_label)
    canvas.setStrokeColor(GOLD_DIM)
    canvas.setLineWidth(0.4)
    canvas.line(margin, top - 2.6 * mm, CARD_WIDTH - margin, top - 2.6 * mm)
    canvas.setFillColor(GOLD_DIM)
    canvas.setFont(fonts["sans"], 4.2)
    canvas.drawString(margin, top - 6.4 * mm, _spaced("Membership card"))

    # 3. The member's name, the largest line.
    canvas.setFillColor(GOLD_DIM)
    canvas.setFont(fonts["sans"], 4.8)
    canvas.drawString(margin, 27 * mm, _spaced("Member"))
    canvas.setFillColor(GOLD)
    name_size = _fit(canvas, member_name, fonts["serif"], 14, inner_width)
    canvas.setFont(fonts["serif"], name_size)
    canvas.drawString(margin, 21.5 * mm, member_name)

    # 4. Footer: member since (left) and member number (right).
    label_y, value_y = 11.2 * mm, 7 * mm
    canvas.setFillColor(GOLD_DIM)
    canvas.setFont(fonts["sans"], 4.2)
    canvas.drawString(margin, label_y, "MEMBER SINCE")
    canvas.drawRightString(CARD_WIDTH - margin, label_y, "MEMBER NO.")
    canvas.setFillColor(GOLD_LIGHT)
    canvas.setFont(fonts["sans"], 7)
    canvas.drawString(margin, value_y, since)
    canvas.drawRightString(CARD_WIDTH - margin, value_y, number)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
