"""The audit log (:class:`~coresync.core.models.AuditEntry`): who changed what, for the rows
that have no history of their own (bookings keep ``BookingHistory``). Managers read it in the
admin ("Audit entries", filterable by action and type, one row's history by its id).

Recorded today: the manager API's edits of services, add-ons, rooms, technicians and plans
(created, changed with the fields and their new values, deactivated), technicians' weekly
hours, exceptions and room maintenance, and the life of payments and refunds (succeeded,
failed, cancelled, refunded), with the acting user or none for the system (a webhook).
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from coresync.core.models import AuditEntry


def record(
    subject: Model,
    action: str,
    *,
    actor: Any = None,
    data: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry for ``subject`` (a saved model row) in the caller's transaction.

    Args:
        subject: the changed row; its type, primary key and ``str()`` are kept.
        action: a dotted name, ``<what>.<verb>`` (``service.changed``, ``payment.refunded``).
        actor: the user who acted; ``None`` (or an anonymous user) for the system.
        data: JSON-ready details; Decimals, dates and model rows are written as strings.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        subject_type=ContentType.objects.get_for_model(subject, for_concrete_model=False),
        subject_id=str(subject.pk),
        subject_label=str(subject)[:200],
        data=_json_ready(dict(data or {})),
    )


def changes(values: Mapping[str, Any], fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Return ``{"fields": {name: new value}}`` for the audit data of an edit (``values`` as
    the service received them; only ``fields`` when given)."""
    names = list(fields) if fields is not None else list(values)
    return {"fields": {name: values[name] for name in names if name in values}}


def history(subject: Model):
    """Return the audit entries of ``subject``, newest first."""
    return AuditEntry.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject, for_concrete_model=False),
        subject_id=str(subject.pk),
    ).select_related("actor")


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_ready(item) for item in value]
    if isinstance(value, Model):
        return getattr(value, "slug", None) or str(value.pk)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    return str(value)
