"""Member numbers: random 10-digit numbers with a Luhn check digit instead of the row id.

Existing memberships get one number per customer (a returning member keeps theirs)."""

from django.db import migrations, models

import coresync.memberships.models


def fill_numbers(apps, schema_editor):
    Membership = apps.get_model("memberships", "Membership")
    by_customer: dict[int, str] = {}
    used: set[str] = set()
    for membership in Membership.objects.order_by("started_on", "pk"):
        number = by_customer.get(membership.customer_id)
        if number is None:
            number = coresync.memberships.models.new_member_number()
            while number in used:
                number = coresync.memberships.models.new_member_number()
            used.add(number)
            by_customer[membership.customer_id] = number
        membership.number = number
        membership.save(update_fields=["number"])


class Migration(migrations.Migration):
    dependencies = [("memberships", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="number",
            field=models.CharField(max_length=10, null=True, editable=False),
        ),
        migrations.RunPython(fill_numbers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="membership",
            name="number",
            field=models.CharField(
                db_index=True,
                default=coresync.memberships.models.new_member_number,
                editable=False,
                help_text="The member number on the card: random, with a Luhn check digit; a "
                "returning member keeps the number of their first membership.",
                max_length=10,
            ),
        ),
    ]
