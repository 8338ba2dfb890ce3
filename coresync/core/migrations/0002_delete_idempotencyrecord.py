"""The API's idempotency records give way to one mechanism for every channel: the key and the
request's fingerprint kept on the row a step creates (coresync.core.idempotency)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.DeleteModel(name="IdempotencyRecord")]
