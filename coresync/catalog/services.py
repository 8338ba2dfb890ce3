"""Catalog changes by managers: create, change and deactivate services and add-ons.

Input is a mapping of fields by their API / spa-file names (``slug``, ``category`` as a slug,
``durations`` as ``[{"minutes": 60, "price": "180.00"}]``, ``addons`` / ``services`` as
slugs). Every value is checked before anything is written; a refusal is one
:class:`InvalidInput` naming each bad field. Nothing is ever deleted: bookings keep their
service and add-ons (``PROTECT``), so "delete" deactivates.
"""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from coresync.catalog.inputs import AddOnFields, ServiceFields
from coresync.catalog.models import AddOn, Service, ServiceCategory, ServiceVariant
from coresync.core import readers as read
from coresync.core.readers import FieldError, describe, field_readers, nested
from coresync.core.signals import availability_inputs_changed
from coresync.core.validation import FieldErrors, amount, read_values
from coresync.memberships.models import TierPrice

SERVICE_REQUIRED = ("slug", "name", "category", "durations", "room_types")
ADDON_REQUIRED = ("slug", "name", "price")


def _skill(value: Any) -> str:
    """A skill slug, or ``""`` for none (a self-guided service)."""
    return "" if value == "" else read.slug(value)


def _duration(value: Any) -> tuple[int, Any]:
    if not isinstance(value, Mapping):
        raise FieldError(f'expected {{"minutes": 60, "price": "180.00"}}; got {describe(value)}')
    unknown = sorted(set(value) - {"minutes", "price"})
    if unknown:
        raise FieldError("unknown field", path=f".{unknown[0]}")
    for key in ("minutes", "price"):
        if key not in value:
            raise FieldError("required field is missing", path=f".{key}")
    return (
        nested(".minutes", None, read.minutes, value["minutes"]),
        nested(".price", None, amount, value["price"]),
    )


def durations(value: Any) -> dict[int, Any]:
    """``[{"minutes": 60, "price": "180.00"}, …]``: at least one, each duration once;
    returns ``{minutes: price}``."""
    pairs = read.list_of(_duration, non_empty=True)(value)
    table: dict[int, Any] = {}
    for index, (minutes, price) in enumerate(pairs):
        if minutes in table:
            raise FieldError(f"{minutes} minutes is listed twice", path=f"[{index}].minutes")
        table[minutes] = price
    return table


# The fields' rules are the models' (catalog.inputs); the API differs in names
# (``is_active``), durations (``[{minutes, price}]``), amounts (a Decimal or a number) and a
# skill of ``""`` for none.
SERVICE_READERS = {
    **field_readers(ServiceFields, is_active="active"),
    "skill": _skill,
    "durations": durations,
    "addons": read.list_of(read.slug, unique=True),
}
ADDON_READERS = {**field_readers(AddOnFields, is_active="active"), "price": amount}


def _check_slug_free(errors: FieldErrors, model: type, slug: str | None, pk: int | None) -> None:
    if slug and model.objects.filter(slug=slug).exclude(pk=pk).exists():
        errors.add("slug", f'"{slug}" is already used by another {model._meta.verbose_name}')


def _rows_by_slug(errors: FieldErrors, field: str, model: type, slugs: list[str] | None) -> list:
    """Return the rows of ``model`` named by ``slugs`` (in that order), reporting unknown
    ones under ``field``."""
    if slugs is None:
        return []
    found = {row.slug: row for row in model.objects.filter(slug__in=slugs)}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        noun = model._meta.verbose_name
        errors.add(field, f"unknown {noun} {', '.join(describe(slug) for slug in missing)}")
    return [found[slug] for slug in slugs if slug in found]


def _save_with_unique_slug(instance: Any, update_fields: list[str] | None) -> None:
    """Save ``instance``; a concurrent insert of the same slug becomes a field error."""
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError:
        errors = FieldErrors()
        _check_slug_free(errors, type(instance), instance.slug, instance.pk)
        if "slug" not in errors:
            raise
        errors.raise_if_any()


def create_service(values: Mapping[str, Any]) -> Service:
    """Create a service with its durations (and prices) and add-ons.

    Raises:
        InvalidInput: naming each bad field (missing, malformed, unknown category or add-on,
            slug in use, a self-guided service with a skill or a guided one without).
    """
    return _write_service(Service(), values, creating=True)


def update_service(service: Service, changes: Mapping[str, Any]) -> Service:
    """Change the given fields of ``service``; ``durations`` and ``addons``, when given,
    replace the current ones as a whole (tier prices of durations no longer offered go).

    Raises:
        InvalidInput: as :func:`create_service`.
    """
    return _write_service(service, changes, creating=False)


def _write_service(service: Service, values: Mapping[str, Any], *, creating: bool) -> Service:
    """Check ``values`` against ``service`` as it would become, then write.

    1. Read every field; report missing required ones on creation.
    2. Check the rules between fields and the references (category, add-ons, slug).
    3. In one transaction (the row locked on update): save the fields that changed, replace
       durations and add-ons when given.
    """
    errors = FieldErrors()
    data = read_values(
        errors, values, SERVICE_READERS, required=SERVICE_REQUIRED if creating else ()
    )
    self_guided = data.get("self_guided", service.self_guided)
    if "skill" not in errors and "self_guided" not in errors:
        skill = data.get("skill", "" if creating else service.skill)
        if self_guided and skill:
            errors.add("skill", "a self-guided service needs no technician, so no skill")
        elif not self_guided and not skill:
            errors.add("skill", "required unless the service is self-guided")
    category = None
    if "category" in data:
        category = ServiceCategory.objects.filter(slug=data["category"]).first()
        if category is None:
            errors.add("category", f"unknown category {describe(data['category'])}")
    addons = _rows_by_slug(errors, "addons", AddOn, data.get("addons"))
    _check_slug_free(errors, Service, data.get("slug"), service.pk)
    errors.raise_if_any()

    with transaction.atomic():
        if not creating:
            service = Service.objects.select_for_update().get(pk=service.pk)
        fields = {
            name: value
            for name, value in data.items()
            if name not in ("category", "durations", "addons")
        }
        if category is not None:
            fields["category_id"] = category.pk
        changed = [name for name, value in fields.items() if getattr(service, name) != value]
        for name in changed:
            setattr(service, name, fields[name])
        if creating:
            _save_with_unique_slug(service, None)
        elif changed:
            _save_with_unique_slug(service, changed)
        if "durations" in data:
            _replace_durations(service, data["durations"])
        if "addons" in data:
            service.addons.set(addons)
    return service


def _replace_durations(service: Service, prices: dict[int, Any]) -> None:
    ServiceVariant.objects.filter(service=service).delete()
    ServiceVariant.objects.bulk_create(
        ServiceVariant(service=service, minutes=minutes, price=price)
        for minutes, price in sorted(prices.items())
    )
    TierPrice.objects.filter(service=service).exclude(minutes__in=list(prices)).delete()
    availability_inputs_changed.send(sender=ServiceVariant)


def deactivate_service(service: Service) -> Service:
    """Stop offering ``service`` (kept for the bookings that name it); doing it twice is
    harmless."""
    with transaction.atomic():
        Service.objects.filter(pk=service.pk).update(is_active=False)
        availability_inputs_changed.send(sender=Service)
    service.is_active = False
    return service


def create_addon(values: Mapping[str, Any]) -> AddOn:
    """Create an add-on and the services it is offered with.

    Raises:
        InvalidInput: naming each bad field (missing, malformed, unknown service, slug in
            use).
    """
    return _write_addon(AddOn(), values, creating=True)


def update_addon(addon: AddOn, changes: Mapping[str, Any]) -> AddOn:
    """Change the given fields of ``addon``; ``services``, when given, replaces the list.

    Raises:
        InvalidInput: as :func:`create_addon`.
    """
    return _write_addon(addon, changes, creating=False)


def _write_addon(addon: AddOn, values: Mapping[str, Any], *, creating: bool) -> AddOn:
    errors = FieldErrors()
    data = read_values(errors, values, ADDON_READERS, required=ADDON_REQUIRED if creating else ())
    services = _rows_by_slug(errors, "services", Service, data.get("services"))
    _check_slug_free(errors, AddOn, data.get("slug"), addon.pk)
    errors.raise_if_any()

    with transaction.atomic():
        if not creating:
            addon = AddOn.objects.select_for_update().get(pk=addon.pk)
        fields = {name: value for name, value in data.items() if name != "services"}
        changed = [name for name, value in fields.items() if getattr(addon, name) != value]
        for name in changed:
            setattr(addon, name, fields[name])
        if creating:
            _save_with_unique_slug(addon, None)
        elif changed:
            _save_with_unique_slug(addon, changed)
        if "services" in data:
            addon.services.set(services)
    return addon


def deactivate_addon(addon: AddOn) -> AddOn:
    """Stop offering ``addon`` (kept for the bookings that name it)."""
    with transaction.atomic():
        AddOn.objects.filter(pk=addon.pk).update(is_active=False)
        availability_inputs_changed.send(sender=AddOn)
    addon.is_active = False
    return addon
