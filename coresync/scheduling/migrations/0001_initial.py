"""The occupancy ledger, taken over from ``bookings`` (its migration ``0006``): the model
state only; the table ``bookings_allocation`` already exists with the same columns, indexes
and constraints."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Keep the model's content type (and so its permissions and generic references):
    ``bookings.allocation`` becomes ``scheduling.allocation`` where it exists."""
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="scheduling", model="allocation").exists():
        content_type.objects.filter(app_label="bookings", model="allocation").update(
            app_label="scheduling"
        )


def move_content_type_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="bookings", model="allocation").exists():
        content_type.objects.filter(app_label="scheduling", model="allocation").update(
            app_label="bookings"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("bookings", "0006_allocation_moves_to_scheduling"),
        ("resources", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Allocation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("resource_key", models.CharField(max_length=40)),
                        ("unit", models.PositiveIntegerField(blank=True, null=True)),
                        ("starts_at", models.DateTimeField()),
                        ("ends_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField(blank=True, null=True)),
                        ("is_active", models.BooleanField(default=True)),
                        (
                            "room",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="resources.room",
                            ),
                        ),
                        (
                            "technician",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="resources.technician",
                            ),
                        ),
                        (
                            "booking",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="allocations",
                                to="bookings.booking",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "bookings_allocation",
                        "ordering": ["resource_key", "starts_at"],
                        "indexes": [
                            models.Index(
                                fields=["is_active", "starts_at", "ends_at"],
                                name="bookings_al_is_acti_45f9e3_idx",
                            ),
                            models.Index(
                                fields=["resource_key", "starts_at"],
                                name="bookings_al_resourc_9b4801_idx",
                            ),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("ends_at__gt", models.F("starts_at"))),
                                name="allocation_ends_after_start",
                            )
                        ],
                    },
                )
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
