from django.contrib import admin

from coresync.iot.models import Device, DeviceCommand, RoomSetup, Scene, SensorReading


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "room", "kind", "vendor", "topic", "is_active"]
    list_filter = ["kind", "room", "is_active"]
    search_fields = ["name", "slug", "topic"]


@admin.register(Scene)
class SceneAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_idle"]


@admin.register(RoomSetup)
class RoomSetupAdmin(admin.ModelAdmin):
    list_display = ["room", "default_scene", "idle_scene"]


@admin.register(DeviceCommand)
class DeviceCommandAdmin(admin.ModelAdmin):
    list_display = [
        "requested_at",
        "device",
        "purpose",
        "scene",
        "status",
        "sent_at",
        "confirmed_at",
    ]
    list_filter = ["status", "purpose"]
    readonly_fields = [field.name for field in DeviceCommand._meta.fields]


@admin.register(SensorReading)
class SensorReadingAdmin(admin.ModelAdmin):
    list_display = ["recorded_at", "device", "kind", "value"]
    list_filter = ["kind"]
