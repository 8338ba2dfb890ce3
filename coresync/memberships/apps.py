from django.apps import AppConfig


class MembershipsConfig(AppConfig):
    name = "coresync.memberships"
    label = "memberships"
