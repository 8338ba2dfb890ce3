"""The fields of a service and of an add-on, with their rules, declared once: the spa file's
entries (``coresync.spafile.schema``) extend these models and the manager services
(``catalog.services``) read each field with them, so a name's length or a buffer's range is
written in one place."""

from coresync.catalog.models import RoomType
from coresync.core import readers as read
from coresync.core.readers import Boolean, Choice, Fields, Integer, ListOf, Money, Slug, Text


class ServiceFields(Fields):
    """A service as a manager describes it (its durations and prices are given apart: the
    API as ``[{minutes, price}]``, the spa file as ``durations`` with ``price``/``prices``)."""

    slug: Slug
    name: Text(150)
    category: Slug
    self_guided: Boolean = False
    skill: Slug = None
    room_types: ListOf(Choice(RoomType.values, "room type"), unique=True, non_empty=True)
    buffer_before: Integer(0, 240) = 0
    buffer_after: Integer(0, 240) = 0
    slot_interval_minutes: read.optional_field(read.integer(5, 240)) = None
    max_guests: Integer(1, 20) = 1
    description: Text(None, blank=True) = ""
    active: Boolean = True


class AddOnFields(Fields):
    """An add-on: offered with ``services`` (slugs; none listed means with none)."""

    slug: Slug
    name: Text(120)
    price: Money
    extra_minutes: Integer(0, 240) = 0
    services: ListOf(Slug, unique=True) = []
    description: Text(None, blank=True) = ""
    active: Boolean = True
