"""Record on each booking the cancellation policy it was made under (fees follow it)."""

from django.db import migrations, models


def record_policies(apps, schema_editor):
    """Give existing bookings the policy their membership's plan and the spa have now."""
    Booking = apps.get_model("bookings", "Booking")
    SpaSettings = apps.get_model("spa", "SpaSettings")
    spa = SpaSettings.objects.filter(pk=1).first()
    if spa is None:
        return
    for booking in Booking.objects.select_related("membership__plan").iterator():
        plan = booking.membership.plan if booking.membership_id else None

        def pick(name, spa_name, plan=plan):
            value = getattr(plan, name) if plan is not None else None
            return getattr(spa, spa_name) if value is None else value

        booking.cancellation_policy = {
            "free_until_hours": pick("free_cancellation_hours", "free_cancellation_hours"),
            "late_fee_percent": str(
                pick("late_cancellation_fee_percent", "late_cancellation_fee_percent")
            ),
            "no_show_fee_percent": str(pick("no_show_fee_percent", "no_show_fee_percent")),
        }
        booking.save(update_fields=["cancellation_policy"])


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0003_booking_guest_name"),
        ("memberships", "0001_initial"),
        ("spa", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="cancellation_policy",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text=(
                    "The policy accepted when booking: free_until_hours, late_fee_percent, "
                    "no_show_fee_percent. Fees follow it, not the customer's later plan."
                ),
            ),
        ),
        migrations.RunPython(record_policies, migrations.RunPython.noop),
    ]
