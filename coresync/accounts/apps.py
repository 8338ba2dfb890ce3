from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "coresync.accounts"
    label = "accounts"
