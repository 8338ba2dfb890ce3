"""The occupancy ledger (``Allocation``) moves to the scheduling app. Only Django's model
state moves: the table ``bookings_allocation``, its indexes and the exclusion constraint of
``0002`` stay as they are (scheduling's ``0001`` takes the model over with ``db_table``)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("bookings", "0005_booking_plan")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Allocation")],
            database_operations=[],
        )
    ]
