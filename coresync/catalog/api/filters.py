"""Query filters of the catalog lists (django-filter): each value is validated as a form
field is, so a malformed one (a NUL byte, say) is a 400 naming the parameter, never a 500."""

import django_filters

from coresync.catalog.models import AddOn, Service


class ServiceFilter(django_filters.FilterSet):
    """``GET services/?category=SLUG``."""

    category = django_filters.CharFilter(
        field_name="category__slug", max_length=100, label="Category slug."
    )

    class Meta:
        model = Service
        fields = ["category"]


class AddOnFilter(django_filters.FilterSet):
    """``GET addons/?service=SLUG``: the add-ons that service accepts."""

    service = django_filters.CharFilter(
        field_name="services__slug", max_length=100, label="Service slug."
    )

    class Meta:
        model = AddOn
        fields = ["service"]
