"""Forms of the guest site: sign in, sign up, password reset, profile and preferences,
account deletion. They parse and label input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from coresync.accounts.preferences import (
    NOTIFICATION_CHANNELS,
    NOTIFICATION_KINDS,
    PREFERENCE_FIELDS,
)


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SignupForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 8 characters, not only digits, not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        required=False,
        max_length=32,
        help_text=_(
            "With the country code, e.g. +1 551 574 2281. The front desk and our phone "
            "assistant use it to find your bookings when you call."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class SetPasswordForm(forms.Form):
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password, to confirm"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ProfileForm(forms.Form):
    """Name, phone, spa preferences, notification channels and marketing consent."""

    name = forms.CharField(
        label=_("Name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    marketing_consent = forms.BooleanField(
        label=_("Send me news and offers from the spa"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field_ in PREFERENCE_FIELDS:
            self.fields[f"pref_{field_.name}"] = forms.ChoiceField(
                label=field_.label,
                required=False,
                choices=[("", _("No preference")), *field_.options],
            )
        for channel, label in NOTIFICATION_CHANNELS:
            self.fields[f"notify_{channel}"] = forms.BooleanField(label=label, required=False)
        for kind, label in NOTIFICATION_KINDS:
            self.fields[f"notify_{kind}"] = forms.BooleanField(label=label, required=False)

    def preference_fields(self):
        return [self[f"pref_{field_.name}"] for field_ in PREFERENCE_FIELDS]

    def channel_fields(self):
        return [self[f"notify_{channel}"] for channel, _label in NOTIFICATION_CHANNELS]

    def kind_fields(self):
        return [self[f"notify_{kind}"] for kind, _label in NOTIFICATION_KINDS]

    def preferences(self) -> dict[str, str]:
        return {
            field_.name: self.cleaned_data[f"pref_{field_.name}"]
            for field_ in PREFERENCE_FIELDS
            if self.cleaned_data.get(f"pref_{field_.name}")
        }

    def notification_preferences(self) -> dict[str, bool]:
        return {
            name: bool(self.cleaned_data.get(f"notify_{name}"))
            for name, _label in (*NOTIFICATION_CHANNELS, *NOTIFICATION_KINDS)
        }


class ConfirmBookingForm(forms.Form):
    """The free-text part of the confirm button's form; the choices are read by the booking
    flow. Django's fields refuse NUL characters, which PostgreSQL cannot store."""

    notes = forms.CharField(required=False, max_length=1000, label=_("Notes"))
    gift_card = forms.CharField(required=False, max_length=40, label=_("Gift card code"))
    idempotency_key = forms.CharField(required=False, max_length=200, label=_("Form key"))


class PlanChoiceForm(forms.Form):
    """The plan a guest joins or moves to, by slug."""

    plan = forms.SlugField(max_length=50)


class GiftCardForm(forms.Form):
    """A gift card to buy: the amount, for whom, a message, the day it is emailed."""

    amount = forms.DecimalField(
        label=_("Amount (USD)"), min_value=10, max_value=2000, decimal_places=2, max_digits=7
    )
    recipient_name = forms.CharField(label=_("Their name"), max_length=150, required=False)
    recipient_email = forms.EmailField(label=_("Their email"))
    sender_name = forms.CharField(label=_("From"), max_length=150, required=False)
    message = forms.CharField(
        label=_("Message (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    deliver_on = forms.DateField(
        label=_("Email it on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Today if empty; at 9:00 AM New York time."),
    )
