"""Calendar feed serializers: what a caller may send to get a feed, and how a feed is shown."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coresync.calendars.models import CalendarFeed, FeedKind
from coresync.calendars.selectors import feed_url, webcal_url

READ_ONLY_INPUT_FIELDS = {"id", "token", "url", "webcal_url", "user", "created_at", "revoked_at"}
"""Fields a feed payload may never set (400 ``read_only_field``)."""


class FeedCreateSerializer(serializers.Serializer):
    """``POST calendars/feeds/``: whose feed. ``kind`` defaults to ``customer`` (the caller's
    own bookings); ``technician`` (slug) defaults to the caller's own technician profile;
    ``room`` (slug) is required for a room feed."""

    kind = serializers.ChoiceField(choices=FeedKind.choices, default=FeedKind.CUSTOMER)
    technician = serializers.SlugField(required=False, allow_null=True, allow_blank=True)
    room = serializers.SlugField(required=False, allow_null=True, allow_blank=True)


class FeedSerializer(serializers.ModelSerializer):
    """A live feed: ``url`` is the private ``https://…/calendars/<token>.ics`` address to paste
    into Google Calendar ("From URL"), Outlook ("Subscribe from web") or Apple Calendar
    ("New Calendar Subscription"); ``webcal_url`` opens the subscription dialog directly."""

    # null unless the feed is a technician's (``technician``) or a room's (``room``).
    technician = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    room = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()
    webcal_url = serializers.SerializerMethodField()

    class Meta:
        model = CalendarFeed
        fields = ["id", "kind", "technician", "room", "url", "webcal_url", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, feed: CalendarFeed) -> str:
        return feed_url(feed)

    @extend_schema_field(serializers.CharField())
    def get_webcal_url(self, feed: CalendarFeed) -> str:
        return webcal_url(feed)
