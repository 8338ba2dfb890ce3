"""The spa's scenes (the lighting-scene preference's vocabulary) and the idle scene."""

from django.db import migrations

SCENES = [
    ("idle", "Idle", "Between guests: soft light, quiet, climate at rest.", True, {
        "lights": {"power": "on", "color": "#fff4e0", "brightness": 30},
        "audio": {"power": "off"},
        "scent": {"power": "off"},
        "climate": {"target_celsius": 21.0},
        "mirror": {"power": "off"},
    }),
    ("swiss-alps", "Swiss Alps", "Cool white light, alpine wind and pine.", False, {
        "lights": {"power": "on", "color": "#dff1ff", "brightness": 70},
        "audio": {"power": "on", "playlist": "alpine", "volume": 25},
        "scent": {"power": "on", "scent": "pine"},
        "climate": {"target_celsius": 21.0},
        "mirror": {"power": "on", "view": "matterhorn"},
    }),
    ("venice", "Venice", "Golden dusk, strings, citrus.", False, {
        "lights": {"power": "on", "color": "#ffc77a", "brightness": 55},
        "audio": {"power": "on", "playlist": "classical", "volume": 20},
        "scent": {"power": "on", "scent": "citrus"},
        "climate": {"target_celsius": 23.0},
        "mirror": {"power": "on", "view": "grand-canal"},
    }),
    ("kyoto", "Kyoto garden", "Green shade, water, sandalwood.", False, {
        "lights": {"power": "on", "color": "#d6f5c9", "brightness": 45},
        "audio": {"power": "on", "playlist": "nature", "volume": 20},
        "scent": {"power": "on", "scent": "sandalwood"},
        "climate": {"target_celsius": 22.5},
        "mirror": {"power": "on", "view": "moss-garden"},
    }),
    ("ocean", "Ocean", "Blue light and waves.", False, {
        "lights": {"power": "on", "color": "#9fd8ff", "brightness": 50},
        "audio": {"power": "on", "playlist": "nature", "volume": 25},
        "scent": {"power": "on", "scent": "eucalyptus"},
        "climate": {"target_celsius": 22.0},
        "mirror": {"power": "on", "view": "waves"},
    }),
    ("candlelight", "Candlelight", "Warm flicker, silence, lavender.", False, {
        "lights": {"power": "on", "color": "#ffb35c", "brightness": 25, "effect": "flicker"},
        "audio": {"power": "off"},
        "scent": {"power": "on", "scent": "lavender"},
        "climate": {"target_celsius": 24.0},
        "mirror": {"power": "off"},
    }),
]


def create_scenes(apps, schema_editor):
    Scene = apps.get_model("iot", "Scene")
    for slug, name, description, is_idle, settings in SCENES:
        Scene.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "is_idle": is_idle, "settings": settings},
        )


class Migration(migrations.Migration):
    dependencies = [("iot", "0001_initial")]

    operations = [migrations.RunPython(create_scenes, migrations.RunPython.noop)]
