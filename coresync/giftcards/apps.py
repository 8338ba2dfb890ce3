from django.apps import AppConfig


class GiftCardsConfig(AppConfig):
    name = "coresync.giftcards"
    label = "giftcards"
    verbose_name = "Gift cards and packages"
