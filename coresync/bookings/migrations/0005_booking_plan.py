"""Record on each booking the plan it was made under (a reschedule is priced with it)."""

import django.db.models.deletion
from django.db import migrations, models


def record_plans(apps, schema_editor):
    """Existing bookings: the plan their membership has now (the best record there is)."""
    Booking = apps.get_model("bookings", "Booking")
    for booking in Booking.objects.filter(membership__isnull=False).select_related("membership"):
        booking.plan_id = booking.membership.plan_id
        booking.save(update_fields=["plan"])


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0004_booking_cancellation_policy"),
        ("memberships", "0003_membership_pending"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="plan",
            field=models.ForeignKey(
                blank=True,
                help_text="The plan the booking was made under (empty: a non-member's). A "
                "reschedule is priced with it, whatever the customer's plan is later.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="memberships.membershipplan",
            ),
        ),
        migrations.RunPython(record_plans, migrations.RunPython.noop),
    ]
