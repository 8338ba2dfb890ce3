"""Calendar feed endpoints for the signed-in user: list, get-or-create, rotate, revoke.

Who may hold which feed (SPEC §2, §6): anyone their own customer feed; a technician their own
technician feed; a manager any technician or room feed. Another person's feed is 404.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from coresync.accounts.models import User
from coresync.calendars.api.serializers import (
    READ_ONLY_INPUT_FIELDS,
    FeedCreateSerializer,
    FeedSerializer,
)
from coresync.calendars.models import CalendarFeed, FeedKind
from coresync.calendars.selectors import feeds_visible_to
from coresync.calendars.services import create_feed, revoke_feed, rotate_feed
from coresync.core.api.exceptions import reject_read_only
from coresync.core.errors import Forbidden, InvalidInput
from coresync.resources.models import Room, Technician


def _feed_owner(user: User, values: dict) -> User | Technician | Room:
    """Resolve and authorize the owner of the feed ``user`` asks for.

    Raises:
        InvalidInput: an unknown or missing slug, or a slug that does not fit the kind.
        Forbidden: a non-manager asking for a room or another technician's feed.
    """
    kind = values["kind"]
    technician_slug, room_slug = values.get("technician"), values.get("room")
    if kind != FeedKind.TECHNICIAN and technician_slug:
        raise InvalidInput(
            "technician is only for a technician feed.",
            fields={"technician": 'Only with "kind": "technician".'},
        )
    if kind != FeedKind.ROOM and room_slug:
        raise InvalidInput(
            "room is only for a room feed.", fields={"room": 'Only with "kind": "room".'}
        )
    if kind == FeedKind.CUSTOMER:
        return user
    if kind == FeedKind.ROOM:
        if not user.is_manager:
            raise Forbidden("Only a manager can publish a room's calendar.")
        room = Room.objects.filter(slug=room_slug, is_active=True).first() if room_slug else None
        if room is None:
            raise InvalidInput("Name an active room.", fields={"room": "No such room."})
        return room
    own = getattr(user, "technician", None)
    if not technician_slug:
        if own is None:
            raise InvalidInput(
                "Name the technician.", fields={"technician": "This field is required."}
            )
        return own
    technician = Technician.objects.filter(slug=technician_slug, is_active=True).first()
    if technician is None:
        raise InvalidInput(
            "Name an active technician.", fields={"technician": "No such technician."}
        )
    if not user.is_manager and technician != own:
        raise Forbidden("You can only publish your own calendar.")
    return technician


class CalendarFeedViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's private calendar feeds (managers: also every technician and room feed)."""

    permission_classes = [IsAuthenticated]
    serializer_class = FeedSerializer
    # At most 18 digits: a longer id cannot be a bigint, and PostgreSQL would refuse the query.
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[CalendarFeed]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CalendarFeed.objects.none()
        return feeds_visible_to(self.request.user)

    @extend_schema(
        request=FeedCreateSerializer,
        responses={200: FeedSerializer, 201: FeedSerializer},
        description=(
            "Return the owner's live feed (200), creating it when there is none (201). "
            "Asking again never changes the URL; use rotate for a new one."
        ),
    )
    def create(self, request):
        reject_read_only(request.data, READ_ONLY_INPUT_FIELDS)
        payload = FeedCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        owner = _feed_owner(request.user, values)
        feed = create_feed(kind=values["kind"], owner=owner, created_by=request.user)
        answer = status.HTTP_201_CREATED if feed.was_created else status.HTTP_200_OK
        return Response(FeedSerializer(feed).data, status=answer)

    @extend_schema(
        request=None,
        responses={201: FeedSerializer},
        description="Revoke this feed and return a new one (new URL) for the same owner.",
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        feed = rotate_feed(self.get_object(), actor=request.user)
        return Response(FeedSerializer(feed).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, description="Revoke this feed: its URL answers 404.")
    def destroy(self, request, pk=None):
        revoke_feed(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
