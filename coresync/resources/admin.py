"""Admin for technicians and rooms, with their weekly hours, exceptions/maintenance and slot
holds (SPEC §1-2). Hours and dates are spa-local wall-clock values; hold instants are typed
and shown in the spa's time zone (``TIME_ZONE``) and stored in UTC."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug

from coresync.resources.models import (
    AvailabilityException,
    ExceptionKind,
    Room,
    SlotHold,
    Technician,
    WorkingHours,
)


class SlugListField(forms.CharField):
    """A JSON list of slugs typed as comma-separated text: ``swedish, deep-tissue``."""

    default_error_messages = {"invalid_item": "“%(item)s” is not a slug (letters, digits, -, _)."}

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        text = super().to_python(value)
        return [item.strip() for item in text.split(",") if item.strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        for item in value:
            try:
                validate_slug(item)
            except ValidationError:
                raise ValidationError(
                    self.error_messages["invalid_item"], code="invalid_item", params={"item": item}
                ) from None


def _resource_error(cleaned_data: dict, *, required: bool) -> str | None:
    """Return why the technician/room pair is invalid, or ``None`` when it is fine."""
    chosen = sum(1 for name in ("technician", "room") if cleaned_data.get(name))
    if chosen > 1:
        return "Choose a technician or a room, not both."
    if required and chosen == 0:
        return "Choose a technician or a room."
    return None


class OneResourceForm(forms.ModelForm):
    """Working hours and exceptions belong to exactly one technician or one room."""

    resource_required = True

    def clean(self):
        cleaned_data = super().clean()
        message = _resource_error(cleaned_data, required=self.resource_required)
        if message:
            raise ValidationError(message, code="one_resource")
        return cleaned_data


class SlotHoldForm(OneResourceForm):
    """A hold names at most one resource; with none it holds the whole spa."""

    resource_required = False


class TechnicianForm(forms.ModelForm):
    skills = SlugListField(
        required=False, help_text="Comma-separated skills matched against a service's skill."
    )


class RoomForm(forms.ModelForm):
    features = SlugListField(
        required=False, help_text="Comma-separated, e.g. smart_mirror, ai_massage, steam."
    )


class TechnicianWorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    form = OneResourceForm
    fk_name = "technician"
    fields = ("weekday", "start", "end", "valid_from", "valid_until")
    extra = 0
    verbose_name = "working hours window"
    verbose_name_plural = "weekly working hours (spa local time)"


class TechnicianExceptionInline(admin.TabularInline):
    model = AvailabilityException
    form = OneResourceForm
    fk_name = "technician"
    fields = ("kind", "date", "end_date", "start", "end", "note")
    extra = 0
    verbose_name = "exception"
    verbose_name_plural = "days off, holidays, vacations, sick leave"


class TechnicianHoldInline(admin.TabularInline):
    model = SlotHold
    form = SlotHoldForm
    fk_name = "technician"
    fields = ("level", "starts_at", "ends_at", "held_until", "note")
    extra = 0
    verbose_name_plural = "slots held for priority / VIP members"


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    form = TechnicianForm
    list_display = ("name", "slug", "skills_display", "hourly_rate", "user", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("user",)
    search_fields = ("name", "slug", "user__email")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("user",)
    fields = ("name", "slug", "user", "skills", "hourly_rate", "bio", "is_active")
    inlines = [TechnicianWorkingHoursInline, TechnicianExceptionInline, TechnicianHoldInline]

    @admin.display(description="skills")
    def skills_display(self, technician: Technician) -> str:
        return ", ".join(technician.skills)


class RoomOpeningHoursInline(admin.TabularInline):
    model = WorkingHours
    form = OneResourceForm
    fk_name = "room"
    fields = ("weekday", "start", "end", "valid_from", "valid_until")
    extra = 0
    verbose_name = "opening hours window"
    verbose_name_plural = "opening hours (spa local time)"


class RoomMaintenanceInline(admin.TabularInline):
    model = AvailabilityException
    form = OneResourceForm
    fk_name = "room"
    fields = ("kind", "date", "end_date", "start", "end", "note")
    extra = 0
    verbose_name = "closure"
    verbose_name_plural = "maintenance and closures"

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            kwargs["initial"] = ExceptionKind.MAINTENANCE
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class RoomHoldInline(admin.TabularInline):
    model = SlotHold
    form = SlotHoldForm
    fk_name = "room"
    fields = ("level", "starts_at", "ends_at", "held_until", "note")
    extra = 0
    verbose_name_plural = "slots held for priority / VIP members"


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    form = RoomForm
    list_display = (
        "name",
        "slug",
        "room_type",
        "capacity",
        "features_display",
        "premium_modifier_percent",
        "is_active",
    )
    list_filter = ("room_type", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = (
        "name",
        "slug",
        "room_type",
        "capacity",
        "features",
        "premium_modifier_percent",
        "is_active",
    )
    inlines = [RoomOpeningHoursInline, RoomMaintenanceInline, RoomHoldInline]

    @admin.display(description="features")
    def features_display(self, room: Room) -> str:
        return ", ".join(room.features)


class ResourceOwnedAdmin(admin.ModelAdmin):
    """Shared by the changelists of hours, exceptions and holds: one query per page."""

    list_select_related = ("technician", "room")
    autocomplete_fields = ("technician", "room")
    search_fields = ("technician__name", "technician__slug", "room__name", "room__slug")

    @admin.display(description="technician or room")
    def resource_display(self, row) -> str:
        resource = row.resource
        return str(resource) if resource is not None else "whole spa"


@admin.register(WorkingHours)
class WorkingHoursAdmin(ResourceOwnedAdmin):
    form = OneResourceForm
    list_display = ("resource_display", "weekday", "start", "end", "valid_from", "valid_until")
    list_filter = ("weekday", "technician", "room")
    fields = ("technician", "room", "weekday", "start", "end", "valid_from", "valid_until")


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(ResourceOwnedAdmin):
    form = OneResourceForm
    list_display = ("resource_display", "kind", "date", "end_date", "start", "end", "note")
    list_filter = ("kind", "technician", "room")
    date_hierarchy = "date"
    search_fields = (*ResourceOwnedAdmin.search_fields, "note")
    fields = ("technician", "room", "kind", "date", "end_date", "start", "end", "note")


@admin.register(SlotHold)
class SlotHoldAdmin(ResourceOwnedAdmin):
    form = SlotHoldForm
    list_display = ("resource_display", "level", "starts_at", "ends_at", "held_until", "note")
    list_filter = ("level", "technician", "room")
    date_hierarchy = "starts_at"
    search_fields = (*ResourceOwnedAdmin.search_fields, "note")
    fields = ("technician", "room", "level", "starts_at", "ends_at", "held_until", "note")
