"""Give the staff role groups their admin permissions (issue 18 item 1): manager every
permission, front desk bookings, customers and holds, technician none.

Permissions are normally created after all migrations (``post_migrate``); they are created
here first so that a fresh database gets its groups in this migration. The rules live in
:mod:`coresync.accounts.roles`, which ``set_role`` and every ``migrate`` apply again.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from coresync.accounts.roles import sync_role_groups


def give_roles_their_permissions(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("bookings", "0003_booking_guest_name"),
        ("calendars", "0001_initial"),
        ("catalog", "0001_initial"),
        ("core", "0001_initial"),
        ("memberships", "0001_initial"),
        ("notifications", "0001_initial"),
        ("payments", "0001_initial"),
        ("resources", "0002_exception_part_day_is_one_day"),
        ("spa", "0002_spasettings_check_in_window_minutes"),
    ]

    operations = [
        migrations.RunPython(give_roles_their_permissions, migrations.RunPython.noop),
    ]
