"""Forms of the site's shop and concierge pages. They parse and label input; the services
(coresync.shop, coresync.concierge) decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from coresync.concierge.models import RequestCategory
from coresync.shop.services import MAX_QUANTITY, NOTES_MAX_LENGTH


class AddToListForm(forms.Form):
    product = forms.SlugField(max_length=80, widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class PlaceOrderForm(forms.Form):
    """The pickup list's order button: the booking to pick up at, notes, how to pay (only
    when the payment provider collects online), and the key made when the page was drawn
    (a double click orders once)."""

    pickup_booking = forms.ChoiceField(label=_("Pick up at"), required=False)
    notes = forms.CharField(
        label=_("Notes for the desk (optional)"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)
    payment = forms.ChoiceField(
        label=_("Payment"),
        choices=[
            ("pickup", _("Pay at the front desk when I pick it up")),
            ("online", _("Pay now online")),
        ],
        initial="pickup",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, bookings=(), online: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not online:  # the spa takes payment at the desk only
            del self.fields["payment"]
        self.fields["pickup_booking"].choices = [("", _("My next visit, at the front desk"))] + [
            (booking.reference, label) for booking, label in bookings
        ]


class ConciergeRequestForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it?"), choices=RequestCategory.choices)
    title = forms.CharField(label=_("In a few words"), max_length=150)
    description = forms.CharField(
        label=_("Details"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    link = forms.URLField(
        label=_("A link (optional)"), required=False, max_length=500, assume_scheme="https"
    )
    budget_min = forms.DecimalField(
        label=_("Budget from ($)"), min_value=0, max_digits=10, decimal_places=2
    )
    budget_max = forms.DecimalField(
        label=_("Budget up to ($)"), min_value=0, max_digits=10, decimal_places=2
    )
    pickup_date = forms.DateField(
        label=_("Pick up on"), widget=forms.DateInput(attrs={"type": "date"})
    )
