"""Availability reads: list bookable slots, check one start, and the month calendar.

Listing (:func:`get_availability`) and booking (:func:`find_start`, called by
``coresync.bookings.services.create_booking``) run the same engine on the same loaded data,
so a listed slot is bookable and an unlisted one is refused (ARCHITECTURE.md).
"""

import calendar as calendar_module
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db.models import Max

from coresync.catalog.models import AddOn, RoomType, Service
from coresync.catalog.pricing import PriceList, Quote, load_price_list
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import InvalidInput
from coresync.memberships.models import MembershipPlan
from coresync.memberships.selectors import CustomerAccess, get_customer_access, plan_access
from coresync.resources.models import Room, Technician
from coresync.scheduling import cache as availability_cache
from coresync.scheduling.engine import (
    AccessRules,
    ServiceSpec,
    Slot,
    find_slots,
    from_minutes,
    to_minutes,
)
from coresync.scheduling.errors import (
    OutsideBookingWindow,
    OutsideWorkingHours,
    SlotUnavailable,
)
from coresync.scheduling.loader import EngineInput, load_engine_input
from coresync.spa.models import SpaSettings
from coresync.spa.selectors import get_settings

MAX_RANGE_DAYS = 93


@dataclass(frozen=True)
class AvailabilityRequest:
    """A validated question "when can this be booked?".

    ``minutes``: the chosen duration; ``addons``: chosen add-ons (their extra minutes extend
    the service); dates are spa-local and inclusive.
    """

    service: Service
    minutes: int
    addons: tuple[AddOn, ...]
    guests: int
    date_from: date
    date_to: date
    technician_slug: str | None = None
    room_slug: str | None = None
    room_type: str | None = None
    technician_slugs: tuple[str, ...] = ()
    """For a group (couples) booking: every technician the slot must include, in addition to
    ``technician_slug`` (one per guest at most; the engine chooses the others). Used by a
    couple choosing both therapists and by a reschedule keeping both."""

    @property
    def service_minutes(self) -> int:
        return self.minutes + sum(addon.extra_minutes for addon in self.addons)


@dataclass(frozen=True)
class SlotOffer:
    """A bookable slot with its quote for the caller."""

    slot: Slot
    quote: Quote


def build_availability_request(
    *,
    service_slug: str,
    date_from: date,
    date_to: date,
    duration: int | None = None,
    addon_slugs: Sequence[str] = (),
    guests: int = 1,
    technician_slug: str | None = None,
    room_slug: str | None = None,
    room_type: str | None = None,
    technician_slugs: Sequence[str] = (),
) -> AvailabilityRequest:
    """Validate the parts of an availability question and load the service and add-ons.

    ``duration`` defaults to the service's shortest duration. ``date_to`` is inclusive and
    the range is at most 93 days. ``technician_slugs`` names the technicians a group
    booking must include (a couple choosing both therapists): distinct, at most one per
    guest, each able to perform the service.

    Raises:
        InvalidInput: naming the field — unknown service/technician/room/add-on slug, an
            add-on the service does not accept, a duration the service does not offer,
            ``date_to`` before ``date_from``, a range over 93 days, guests below 1, over the
            service's maximum or over every allowed room's capacity.
    """
    service = (
        Service.objects.filter(slug=service_slug, is_active=True)
        .select_related("category")
        .prefetch_related("variants")
        .first()
    )
    if service is None:
        raise InvalidInput(
            f'Unknown service "{service_slug}".', fields={"service": "No such service."}
        )
    fields: dict[str, str] = {}
    if date_to < date_from:
        fields["date_to"] = "date_to must be on or after date_from."
    elif (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        fields["date_to"] = f"A range is at most {MAX_RANGE_DAYS} days."
    durations = sorted(variant.minutes for variant in service.variants.all())
    minutes = duration if duration is not None else (durations[0] if durations else 0)
    if minutes not in durations:
        fields["duration"] = f"Choose one of: {', '.join(map(str, durations))} minutes."
    if guests < 1:
        fields["guests"] = "At least one guest."
    elif guests > service.max_guests:
        fields["guests"] = f"{service.name} takes at most {service.max_guests} guest(s)."
    else:
        largest = Room.objects.filter(
            is_active=True, room_type__in=service.room_types or []
        ).aggregate(largest=Max("capacity"))["largest"]
        if largest is None or guests > largest:
            fields["guests"] = f"No room for {service.name} holds {guests} guests."
    if room_type and room_type not in RoomType.values:
        fields["room_type"] = f"Unknown room type; choose one of {', '.join(RoomType.values)}."
    elif room_type and room_type not in (service.room_types or []):
        fields["room_type"] = f"{service.name} is not offered in {room_type} rooms."
    if technician_slug:
        technician = Technician.objects.filter(slug=technician_slug, is_active=True).first()
        if technician is None:
            fields["technician"] = f'Unknown technician "{technician_slug}".'
        elif service.self_guided or service.skill not in (technician.skills or []):
            fields["technician"] = f"{technician.name} does not perform {service.name}."
    named = [slug for slug in technician_slugs if slug]
    if named:
        everyone = [technician_slug, *named] if technician_slug else named
        rows = {row.slug: row for row in Technician.objects.filter(slug__in=named, is_active=True)}
        if len(set(everyone)) != len(everyone):
            fields["technicians"] = "Choose a different technician for each guest."
        elif len(everyone) > guests:
            fields["technicians"] = f"Name at most {guests} technician(s), one per guest."
        for slug in named:
            if slug not in rows:
                fields["technicians"] = f'Unknown technician "{slug}".'
            elif service.self_guided or service.skill not in (rows[slug].skills or []):
                fields["technicians"] = f"{rows[slug].name} does not perform {service.name}."
    if room_slug:
        room = Room.objects.filter(slug=room_slug, is_active=True).first()
        if room is None:
            fields["room"] = f'Unknown room "{room_slug}".'
        elif room.room_type not in (service.room_types or []):
            fields["room"] = f"{service.name} is not offered in {room.name}."
    addons: list[AddOn] = []
    wanted = [slug for slug in dict.fromkeys(addon_slugs) if slug]
    if wanted:
        found = {
            addon.slug: addon for addon in AddOn.objects.filter(slug__in=wanted, is_active=True)
        }
        accepted = set(service.addons.values_list("slug", flat=True))
        for slug in wanted:
            if slug not in found:
                fields["addons"] = f'Unknown add-on "{slug}".'
            elif slug not in accepted:
                fields["addons"] = f'"{slug}" cannot be added to {service.name}.'
            else:
                addons.append(found[slug])
    if fields:
        raise InvalidInput("; ".join(fields.values()), fields=fields)
    return AvailabilityRequest(
        service=service,
        minutes=minutes,
        addons=tuple(addons),
        guests=guests,
        date_from=date_from,
        date_to=date_to,
        technician_slug=technician_slug or None,
        room_slug=room_slug or None,
        room_type=room_type or None,
        technician_slugs=tuple(named),
    )


def service_spec(request: AvailabilityRequest, spa_settings: SpaSettings) -> ServiceSpec:
    """Return the engine's view of what ``request`` needs."""
    service = request.service
    return ServiceSpec(
        service_minutes=request.service_minutes,
        buffer_before=service.buffer_before,
        buffer_after=service.buffer_after,
        interval_minutes=service.slot_interval_minutes or spa_settings.slot_interval_minutes,
        guests=request.guests,
        technicians_needed=0 if service.self_guided else request.guests,
    )


def access_rules(access: CustomerAccess, spa_settings: SpaSettings, now: datetime) -> AccessRules:
    """Return the engine's access rules for a caller at ``now``."""
    return AccessRules(
        now=now,
        tz=spa_settings.zone,
        min_notice_minutes=spa_settings.min_notice_minutes,
        advance_days=access.advance_days,
        non_member_advance_days=spa_settings.non_member_advance_days,
        priority=access.priority,
        vip=access.vip,
    )


def _load(
    request: AvailabilityRequest,
    now: datetime,
    spa_settings: SpaSettings,
    *,
    date_from: date,
    date_to: date,
    exclude_booking_id: int | None = None,
) -> tuple[EngineInput, list[int]]:
    """Load the engine's input for ``request``; return it with the technicians every slot
    must include (a group that names one of its technicians)."""
    group = request.guests > 1 and not request.service.self_guided
    engine_input = load_engine_input(
        service=request.service,
        guests=request.guests,
        date_from=date_from,
        date_to=date_to,
        now=now,
        tz=spa_settings.zone,
        # A group names at most one of its technicians: load them all, require that one.
        technician_slug=None if group else request.technician_slug,
        room_slug=request.room_slug,
        room_type=request.room_type,
        exclude_booking_id=exclude_booking_id,
    )
    named = {request.technician_slug, *request.technician_slugs} - {None}
    required = [
        technician.id
        for technician in engine_input.technicians
        if group and technician.slug in named
    ]
    return engine_input, required


def _run(
    request: AvailabilityRequest,
    access: CustomerAccess,
    now: datetime,
    spa_settings: SpaSettings,
    *,
    date_from: date,
    date_to: date,
    exclude_booking_id: int | None = None,
    ignore_busy: bool = False,
    ignore_window: bool = False,
) -> list[Slot]:
    engine_input, required = _load(
        request,
        now,
        spa_settings,
        date_from=date_from,
        date_to=date_to,
        exclude_booking_id=exclude_booking_id,
    )
    return find_slots(
        service_spec(request, spa_settings),
        access_rules(access, spa_settings, now),
        engine_input.technicians,
        engine_input.rooms,
        date_from,
        date_to,
        engine_input.holds,
        ignore_busy=ignore_busy,
        ignore_window=ignore_window,
        required_technician_ids=required,
    )


def price_list_for(request: AvailabilityRequest, access: CustomerAccess, spa_settings) -> PriceList:
    """Load the prices for ``request`` as seen by ``access``."""
    return load_price_list(request.service, request.minutes, request.addons, access, spa_settings)


def compute_availability(
    request: AvailabilityRequest,
    access: CustomerAccess,
    *,
    now: datetime | None = None,
) -> list[SlotOffer]:
    """Return the caller's bookable slots for ``request``, each with its quote, computed
    fresh from the database (no cache): the reference :func:`get_availability` equals.

    Args:
        request: from :func:`build_availability_request`.
        access: the caller's tier (:func:`coresync.memberships.selectors.get_customer_access`).
        now: the clock reading (read once here when omitted).
    """
    now = now or clock_now()
    spa_settings = get_settings()
    engine_input, required = _load(
        request, now, spa_settings, date_from=request.date_from, date_to=request.date_to
    )
    slots = find_slots(
        service_spec(request, spa_settings),
        access_rules(access, spa_settings, now),
        engine_input.technicians,
        engine_input.rooms,
        request.date_from,
        request.date_to,
        engine_input.holds,
        required_technician_ids=required,
    )
    if not slots:
        return []
    prices = price_list_for(request, access, spa_settings)
    modifiers = engine_input.room_modifiers
    return [
        SlotOffer(slot, prices.quote(slot.start, request.guests, modifiers[slot.room_id]))
        for slot in slots
    ]


def get_availability(
    request: AvailabilityRequest,
    access: CustomerAccess,
    *,
    now: datetime | None = None,
) -> list[SlotOffer]:
    """Return the caller's bookable slots for ``request``, each with its quote: served from
    the availability cache when it is on (:mod:`coresync.scheduling.cache`), always equal to
    :func:`compute_availability`.

    Args:
        request: from :func:`build_availability_request`.
        access: the caller's tier (:func:`coresync.memberships.selectors.get_customer_access`).
        now: the clock reading (read once here when omitted).
    """
    now = now or clock_now()
    if not availability_cache.enabled():
        return compute_availability(request, access, now=now)
    spa_settings = get_settings()
    identity = _listing_identity(
        request.service.slug,
        request.minutes,
        tuple(addon.slug for addon in request.addons),
        request.guests,
        request.technician_slug,
        request.room_slug,
        request.room_type,
        access,
        technician_slugs=request.technician_slugs,
    )
    days = _listing_days(request.date_from, request.date_to, access, spa_settings, now)
    lookup = availability_cache.read(identity, days, now)
    if lookup is None:
        return compute_availability(request, access, now=now)
    by_day = _cached_days(lookup, request, access, spa_settings, now)
    return [
        SlotOffer(
            Slot(
                start=from_minutes(item[0]),
                end=from_minutes(item[1]),
                technician_ids=item[2],
                technician_slugs=item[3],
                room_id=item[4],
                room_slug=item[5],
                room_units=item[6],
                member_only=member_only,
                local_date=day,
            ),
            quotes[item[8]],
        )
        for day, item, quotes, _prices, member_only in _visible(days, by_day, spa_settings, now)
    ]


class OfferRow(NamedTuple):
    """One slot as ``GET availability/`` shows it: start and end as ISO 8601 strings in the
    spa's time zone, technicians and room as slugs, the price as :meth:`Quote.as_dict`."""

    start: str
    end: str
    technician_slugs: tuple[str, ...]
    room_slug: str
    price: dict
    member_only: bool


def offer_rows(offers: Sequence[SlotOffer], tz) -> list[OfferRow]:
    """Return ``offers`` as rows (one price dict per distinct quote)."""
    prices: dict[int, dict] = {}
    rows = []
    for offer in offers:
        slot = offer.slot
        price = prices.get(id(offer.quote))
        if price is None:
            price = prices[id(offer.quote)] = offer.quote.as_dict()
        rows.append(
            OfferRow(
                slot.start.astimezone(tz).isoformat(),
                slot.end.astimezone(tz).isoformat(),
                slot.technician_slugs,
                slot.room_slug,
                price,
                slot.member_only,
            )
        )
    return rows


SlotRenderer = Callable[[OfferRow], bytes]
"""Renders one row as the caller sends it (the API: the slot's JSON object)."""


@dataclass(frozen=True)
class Listing:
    """An answer to ``GET availability/``: the service's slug, the duration in minutes and
    the caller's offers — as ``rows``, or, when a ``render_slot`` was given, as ``rendered``
    (one rendering per row, in order; ``rows`` is then empty)."""

    service_slug: str
    minutes: int
    rows: list[OfferRow]
    rendered: list[bytes] | None = None


def list_availability(
    *,
    service_slug: str,
    date_from: date,
    date_to: date,
    access: CustomerAccess,
    now: datetime,
    duration: int | None = None,
    addon_slugs: Sequence[str] = (),
    guests: int = 1,
    technician_slug: str | None = None,
    room_slug: str | None = None,
    room_type: str | None = None,
    spa_settings: SpaSettings | None = None,
    render_slot: SlotRenderer | None = None,
) -> Listing:
    """Validate an availability question and answer it (what ``GET availability/`` does).

    With the availability cache on, a question asked before under the same catalog
    generation skips validation, and days already computed are read with the validated
    question in one cache round trip: no database query when everything is cached.
    ``spa_settings``: the settings row if the caller has read it already.
    ``render_slot``: how the caller renders a row; its renderings are cached with the day,
    so a cached listing costs a join of stored bytes (``Listing.rendered``).

    Raises:
        InvalidInput: as :func:`build_availability_request`.
    """
    arguments = {
        "service_slug": service_slug,
        "date_from": date_from,
        "date_to": date_to,
        "duration": duration,
        "addon_slugs": tuple(slug for slug in dict.fromkeys(addon_slugs) if slug),
        "guests": guests,
        "technician_slug": technician_slug or None,
        "room_slug": room_slug or None,
        "room_type": room_type or None,
    }
    spa_settings = spa_settings or get_settings()
    lookup = None
    # A range validation refuses is never read from the cache (nor is it ever stored).
    if availability_cache.enabled() and 0 <= (date_to - date_from).days < MAX_RANGE_DAYS:
        identity = _listing_identity(
            service_slug,
            duration,
            arguments["addon_slugs"],
            guests,
            arguments["technician_slug"],
            arguments["room_slug"],
            arguments["room_type"],
            access,
        )
        request_key = availability_cache.request_key((*identity[:-1], date_from, date_to))
        days = _listing_days(date_from, date_to, access, spa_settings, now)
        lookup = availability_cache.read(identity, days, now, extra_keys=[request_key])
    if lookup is None:
        request = build_availability_request(**arguments)
        offers = compute_availability(request, access, now=now)
        rows = offer_rows(offers, spa_settings.zone)
        if render_slot is not None:
            return Listing(request.service.slug, request.minutes, [], list(map(render_slot, rows)))
        return Listing(request.service.slug, request.minutes, rows)
    # A question validated under this generation needs no validation while every day hits;
    # only its service slug and duration are kept (unpickling model rows costs more).
    validated = lookup.extra.get(request_key)
    if not (isinstance(validated, tuple) and len(validated) == 3):
        validated = None
    request = None
    if lookup.misses or validated is None or validated[0] != lookup.generation:
        request = build_availability_request(**arguments)
        if validated is None or validated[0] != lookup.generation:
            validated = (lookup.generation, request.service.slug, request.minutes)
            availability_cache.write(
                lookup, {}, computed_at=now, valid_until=None, extra={request_key: validated}
            )
    by_day = _cached_days(lookup, request, access, spa_settings, now, render_slot)
    visible = _visible(days, by_day, spa_settings, now)
    if render_slot is None:
        rows = [
            OfferRow(item[9], item[10], item[3], item[5], prices[item[8]], member_only)
            for _day, item, _quotes, prices, member_only in visible
        ]
        return Listing(validated[1], validated[2], rows)
    rendered = []
    for _day, item, _quotes, prices, member_only in visible:
        if len(item) > 11 and item[11] == member_only:  # rendered when the day was computed
            rendered.append(item[12])
        else:  # by a caller that renders nothing (the site), or the day changed period since
            row = OfferRow(item[9], item[10], item[3], item[5], prices[item[8]], member_only)
            rendered.append(render_slot(row))
    return Listing(validated[1], validated[2], [], rendered)


NO_PRIORITY_PERIOD_DAYS = 36500
"""A non-member window no date reaches: the cache computes slots with the members-only flag
of holds only, and applies the priority period (which moves with the date) on every read."""


def _listing_identity(
    service_slug: str,
    minutes: int | None,
    addon_slugs: tuple[str, ...],
    guests: int,
    technician_slug: str | None,
    room_slug: str | None,
    room_type: str | None,
    access: CustomerAccess,
    technician_slugs: tuple[str, ...] = (),
) -> tuple:
    """Return the plain-value identity of a listing for the cache: the question (add-ons in
    the order asked: they are the quote's line order; the therapists a group booking must
    include) and what of the caller's access the result depends on (tier, plan, discount and
    hold access; the window is applied later)."""
    access_identity = (
        str(access.tier),
        access.plan.pk if access.plan is not None else None,
        str(access.discount_percent),
        access.priority,
        access.vip,
    )
    return (
        service_slug,
        minutes,
        addon_slugs,
        guests,
        technician_slug,
        tuple(sorted(technician_slugs)),
        room_slug,
        room_type,
        access_identity,
    )


def _listing_days(
    date_from: date, date_to: date, access: CustomerAccess, spa_settings: SpaSettings, now
) -> list[date]:
    """Return the days of ``date_from..date_to`` the caller may book at all (from today to
    the end of their window), as the engine cuts them."""
    today = local_date(now, spa_settings.zone)
    first = max(date_from, today)
    last = min(date_to, today + timedelta(days=access.advance_days))
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


CachedDayItems = tuple[list[tuple], list[Quote], list[dict]]
"""One cached day (:func:`_compute_days`): its slots as plain tuples ``(start minute, end
minute, technician ids, technician slugs, room id, room slug, room units, members-only by a
hold, quote index, start ISO, end ISO[, members-only as rendered, rendering])``,
its distinct quotes and their API dicts. Plain values: unpickling a day of dataclasses cost
more than computing the answer."""


def _cached_days(
    lookup: availability_cache.Lookup,
    request: AvailabilityRequest | None,
    access: CustomerAccess,
    spa_settings: SpaSettings,
    now: datetime,
    render_slot: SlotRenderer | None = None,
) -> dict[date, CachedDayItems]:
    """Return every day of ``lookup``: its hits, and the days it missed computed with
    ``request`` (one engine run over their span; rendered with ``render_slot`` if given)
    and stored."""
    by_day: dict[date, CachedDayItems] = dict(lookup.hits)
    if lookup.misses and request is not None:
        computed, changes_at = _compute_days(
            request, access, spa_settings, now, lookup.misses, render_slot
        )
        availability_cache.write(lookup, computed, computed_at=now, valid_until=changes_at)
        by_day.update(computed)
    return by_day


def _visible(
    days: list[date], by_day: dict[date, CachedDayItems], spa_settings: SpaSettings, now
) -> Iterator[tuple[date, tuple, list[Quote], list[dict], bool]]:
    """Yield ``(day, item, quotes, price dicts, members-only)`` for each cached slot the
    clock lets the caller see: minimum notice (elapsed minutes from ``now``) and the
    priority period (days beyond the non-member window are members-only)."""
    earliest = to_minutes(now) + spa_settings.min_notice_minutes
    first_member_only_day = local_date(now, spa_settings.zone) + timedelta(
        days=spa_settings.non_member_advance_days + 1
    )
    for day in days:
        items, quotes, prices = by_day.get(day, ((), (), ()))
        priority_day = day >= first_member_only_day
        for item in items:
            if item[0] >= earliest:
                yield day, item, quotes, prices, priority_day or item[7]


def _compute_days(
    request: AvailabilityRequest,
    access: CustomerAccess,
    spa_settings: SpaSettings,
    now: datetime,
    days: list[date],
    render_slot: SlotRenderer | None = None,
) -> tuple[dict[date, CachedDayItems], datetime | None]:
    """Compute whole ``days`` for the cache: every slot of each day whatever the minimum
    notice and window, members-only only where a hold makes it so (:data:`CachedDayItems`);
    return them with the moment the result expires by itself."""
    first, last = min(days), max(days)
    engine_input, required = _load(request, now, spa_settings, date_from=first, date_to=last)
    rules = replace(
        access_rules(access, spa_settings, now), non_member_advance_days=NO_PRIORITY_PERIOD_DAYS
    )
    slots = find_slots(
        service_spec(request, spa_settings),
        rules,
        engine_input.technicians,
        engine_input.rooms,
        first,
        last,
        engine_input.holds,
        ignore_window=True,
        required_technician_ids=required,
    )
    by_day: dict[date, CachedDayItems] = {day: ([], [], []) for day in days}
    if slots:
        prices = price_list_for(request, access, spa_settings)
        tz = spa_settings.zone
        first_member_only_day = local_date(now, tz) + timedelta(
            days=spa_settings.non_member_advance_days + 1
        )
        quote_index: dict[tuple[date, int], int] = {}
        for slot in slots:
            day = by_day.get(slot.local_date)
            if day is None:
                continue
            items, quotes, dicts = day
            quote = prices.quote(
                slot.start, request.guests, engine_input.room_modifiers[slot.room_id]
            )
            index = quote_index.get((slot.local_date, id(quote)))
            if index is None:
                index = quote_index[(slot.local_date, id(quote))] = len(quotes)
                quotes.append(quote)
                dicts.append(quote.as_dict())
            item = (
                to_minutes(slot.start),
                to_minutes(slot.end),
                slot.technician_ids,
                slot.technician_slugs,
                slot.room_id,
                slot.room_slug,
                slot.room_units,
                slot.member_only,
                index,
                slot.start.astimezone(tz).isoformat(),
                slot.end.astimezone(tz).isoformat(),
            )
            if render_slot is not None:
                # Rendered with the members-only flag the day has now; a read after the
                # priority period has moved over the day renders the slot again.
                member_only = slot.member_only or slot.local_date >= first_member_only_day
                row = OfferRow(item[9], item[10], item[3], item[5], dicts[index], member_only)
                item += (member_only, render_slot(row))
            items.append(item)
    return by_day, engine_input.changes_at


def find_start(
    request: AvailabilityRequest,
    start: datetime,
    access: CustomerAccess,
    *,
    now: datetime,
    exclude_booking_id: int | None = None,
    enforce_booking_window: bool = True,
) -> Slot:
    """Return the slot that would serve a booking at aware ``start``, or say why none does.

    The same engine as :func:`get_availability`, on the start's local day.

    Raises:
        InvalidInput: ``start`` has no UTC offset or is not on the service's start grid.
        OutsideBookingWindow: in the past, inside the minimum notice or beyond the window.
        SlotUnavailable: the resources are taken (or held for members the caller is not).
        OutsideWorkingHours: no technician works / no room is open for the whole service.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise InvalidInput(
            "start must include a UTC offset.", fields={"start": "Add a UTC offset."}
        )
    spa_settings = get_settings()
    tz = spa_settings.zone
    day = local_date(start, tz)
    if enforce_booking_window:
        earliest = now + timedelta(minutes=spa_settings.min_notice_minutes)
        if start < earliest:
            raise OutsideBookingWindow(
                f"Bookings need at least {spa_settings.min_notice_minutes} minutes' notice.",
                start=start,
            )
        if (day - local_date(now, tz)).days > access.advance_days:
            raise OutsideBookingWindow(
                f"You can book up to {access.advance_days} days ahead.", start=start
            )
    wanted = to_minutes(start)
    scoped = AvailabilityRequest(
        **{**request.__dict__, "date_from": day, "date_to": day}  # one local day
    )
    options = {"date_from": day, "date_to": day, "exclude_booking_id": exclude_booking_id}
    for slot in _run(scoped, access, now, spa_settings, ignore_window=True, **options):
        if to_minutes(slot.start) == wanted:
            return slot
    if any(
        to_minutes(slot.start) == wanted
        for slot in _run(
            scoped, access, now, spa_settings, ignore_window=True, ignore_busy=True, **options
        )
    ):
        raise SlotUnavailable(start=start)
    interval = service_spec(request, spa_settings).interval_minutes
    local = start.astimezone(tz)
    if (local.hour * 60 + local.minute) % interval or local.second or local.microsecond:
        raise InvalidInput(
            f"Start times are every {interval} minutes from the hour, spa time.",
            fields={"start": f"Choose a start on the {interval}-minute grid."},
        )
    raise OutsideWorkingHours(start=start)


@dataclass(frozen=True)
class CalendarDay:
    """One day of the month calendar (SPEC §4): ``state`` is ``available``,
    ``members_only`` (slots only members can book: the priority period) or ``unavailable``;
    ``bookable`` tells whether this caller can book it; ``slots`` counts the caller's starts
    (or members' starts on a members-only day)."""

    date: date
    state: str
    bookable: bool
    is_today: bool
    slots: int


def widest_plan_access() -> CustomerAccess | None:
    """Return the access of the plan with the longest window (for "members could book")."""
    plan = (
        MembershipPlan.objects.filter(is_active=True)
        .order_by("-advance_days", "-vip", "-priority")
        .first()
    )
    return plan_access(plan) if plan else None


def month_calendar(
    request: AvailabilityRequest,
    year: int,
    month: int,
    access: CustomerAccess,
    *,
    now: datetime | None = None,
) -> list[CalendarDay]:
    """Return each day of ``year``-``month`` with its state for the caller.

    One engine run over the month. A non-member sees days beyond their window on which a
    member could book as ``members_only`` (not bookable). A member sees days in the priority
    period that have slots as ``members_only`` and bookable.

    Raises:
        InvalidInput: month out of range.
    """
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        raise InvalidInput("month must be YYYY-MM.", fields={"month": "Use YYYY-MM."})
    now = now or clock_now()
    spa_settings = get_settings()
    first = date(year, month, 1)
    last = date(year, month, calendar_module.monthrange(year, month)[1])
    today = local_date(now, spa_settings.zone)
    view_access = access
    if not access.is_member:
        view_access = widest_plan_access() or access
    slots = _run(request, view_access, now, spa_settings, date_from=first, date_to=last)
    counts: dict[date, int] = {}
    member_counts: dict[date, int] = {}
    for slot in slots:
        target = member_counts if slot.member_only else counts
        target[slot.local_date] = target.get(slot.local_date, 0) + 1
    days = []
    day = first
    while day <= last:
        open_count = counts.get(day, 0)
        member_count = member_counts.get(day, 0)
        if open_count:
            bookable_count = open_count + (member_count if access.is_member else 0)
            days.append(CalendarDay(day, "available", True, day == today, bookable_count))
        elif member_count:
            days.append(
                CalendarDay(day, "members_only", access.is_member, day == today, member_count)
            )
        else:
            days.append(CalendarDay(day, "unavailable", False, day == today, 0))
        day += timedelta(days=1)
    return days


def next_free_slot(
    *,
    service: str,
    customer,
    now: datetime,
    duration_minutes: int | None = None,
    addon_slugs: Sequence[str] = (),
    guests: int = 1,
) -> Slot | None:
    """Return the first free start of ``service`` (``duration_minutes`` long, the add-ons'
    extra minutes included, for ``guests``) from ``now`` to the end of the spa-local day, for
    a guest standing at the desk (a walk-in), or ``None`` when the day is full.

    The engine's own slots for the day, computed fresh (no cache) with the minimum notice and
    advance window waived (staff book any free time, as ``create_booking`` with
    ``enforce_booking_window=False`` does); the first start at or after ``now`` wins, with the
    technician and room the engine chose for it.

    Raises:
        InvalidInput: an unknown service, duration or add-on, or too many guests
            (:func:`build_availability_request`).
    """
    spa_settings = get_settings()
    today = local_date(now, spa_settings.zone)
    request = build_availability_request(
        service_slug=service,
        date_from=today,
        date_to=today,
        duration=duration_minutes,
        addon_slugs=addon_slugs,
        guests=guests,
    )
    access = get_customer_access(customer, today, spa_settings)
    slots = _run(
        request, access, now, spa_settings, date_from=today, date_to=today, ignore_window=True
    )
    return next((slot for slot in slots if slot.start >= now), None)
