from django.urls import path

from coresync.spafile import pages

app_name = "spafile"

urlpatterns = [
    path("", pages.pricing_page, name="pricing"),
    path("prices.xlsx", pages.pricing_export, name="pricing_export"),
]
