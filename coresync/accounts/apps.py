from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_role_groups(sender, using="default", **kwargs) -> None:
    """After ``migrate``: keep each staff role's permissions whole, including those of
    models added since (:mod:`coresync.accounts.roles`)."""
    from coresync.accounts.roles import sync_role_groups

    sync_role_groups()


class AccountsConfig(AppConfig):
    name = "coresync.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connected here, after django.contrib.auth's own receiver (auth is listed first in
        # INSTALLED_APPS), so the permissions it creates exist when the groups are synced.
        post_migrate.connect(_sync_role_groups, dispatch_uid="coresync.accounts.role_groups")
