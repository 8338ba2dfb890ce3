"""The income-account mapping page's data: which category keys exist and what they map to."""

from dataclasses import dataclass

from django.db import transaction

from coresync.accounting.models import IncomeAccountMapping, IncomeCategory
from coresync.catalog.models import ServiceCategory
from coresync.core.errors import InvalidInput
from coresync.shop.models import ProductCategory


@dataclass(frozen=True)
class MappingRow:
    """One category key, its label, and its current mapping (empty strings if none)."""

    category: str
    label: str
    account_id: str = ""
    account_name: str = ""
    item_id: str = ""


def mapping_rows() -> list[MappingRow]:
    """Return every category a receipt line can have: each service category
    (``service:<slug>``), each product category (``product:<value>``), then the others."""
    keys = [
        (f"service:{slug}", name)
        for slug, name in ServiceCategory.objects.values_list("slug", "name")
    ]
    keys += [(f"product:{value}", f"Shop: {label}") for value, label in ProductCategory.choices]
    keys += [(value, label) for value, label in IncomeCategory.choices]
    current = {row.category: row for row in IncomeAccountMapping.objects.all()}
    rows = []
    for key, label in keys:
        mapped = current.get(key)
        rows.append(
            MappingRow(
                key,
                str(label),
                mapped.account_id if mapped else "",
                mapped.account_name if mapped else "",
                mapped.item_id if mapped else "",
            )
        )
    return rows


def save_mappings(values: dict[str, dict[str, str]]) -> int:
    """Save ``{category: {"account_id", "account_name", "item_id"}}``; a row without an
    account id removes that category's mapping. Return how many are mapped.

    Raises:
        InvalidInput: an item id without an account id, or an unknown category.
    """
    known = {row.category for row in mapping_rows()}
    errors = {}
    for category, row in values.items():
        if category not in known:
            errors[category] = "Unknown category."
        elif row.get("item_id", "").strip() and not row.get("account_id", "").strip():
            errors[category] = "Give the income account of this item."
    if errors:
        raise InvalidInput("Some rows need fixing.", fields=errors)
    with transaction.atomic():
        for category, row in values.items():
            account_id = row.get("account_id", "").strip()
            if not account_id:
                IncomeAccountMapping.objects.filter(category=category).delete()
                continue
            IncomeAccountMapping.objects.update_or_create(
                category=category,
                defaults={
                    "account_id": account_id[:50],
                    "account_name": row.get("account_name", "").strip()[:150],
                    "item_id": row.get("item_id", "").strip()[:50],
                },
            )
    return IncomeAccountMapping.objects.count()
