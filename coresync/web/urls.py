"""The guest website's paths (docs/website.md "Pages")."""

from django.templatetags.static import static
from django.urls import path, register_converter
from django.views.generic import RedirectView

from coresync.bookings.models import REFERENCE_PATTERN
from coresync.web.views import account, auth, booking, pages, payment, unsubscribe


class BookingReferenceConverter:
    """A booking reference in a path (``CS-2026-000123``), as the API's
    ``bookings/{reference}/`` takes it (:data:`REFERENCE_PATTERN`)."""

    regex = REFERENCE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(BookingReferenceConverter, "reference")

app_name = "web"

urlpatterns = [
    path("", pages.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("web/icon.svg"), permanent=True)),
    path("mens-suite/", pages.mens_suite, name="mens_suite"),
    path("private-spa/", pages.private_spa, name="private_spa"),
    path("services/", pages.services, name="services"),
    path("services/<slug:slug>/", pages.service_detail, name="service"),
    path("technologies/", pages.technologies, name="technologies"),
    path("membership/", pages.membership, name="membership"),
    path("membership/join/", account.membership_join, name="membership_join"),
    path("membership/cancel/", account.membership_cancel, name="membership_cancel"),
    path("membership/pay/", payment.membership_pay, name="membership_pay"),
    path("membership/pay/done/", payment.membership_paid, name="membership_paid"),
    path("contact/", pages.contact, name="contact"),
    path("legal/privacy/", pages.privacy, name="privacy"),
    path("legal/terms/", pages.terms, name="terms"),
    path("legal/cancellation/", pages.cancellation_policy, name="cancellation"),
    path("book/", booking.book, name="book"),
    path("book/confirm/", booking.confirm, name="book_confirm"),
    path("book/done/<reference:reference>/", booking.done, name="book_done"),
    path("book/pay/<reference:reference>/", payment.book_pay, name="book_pay"),
    path("gift-cards/", payment.gift_card, name="gift_card"),
    path("gift-cards/<uuid:card_id>/pay/", payment.gift_card_pay, name="gift_card_pay"),
    path("gift-cards/<uuid:card_id>/paid/", payment.gift_card_paid, name="gift_card_paid"),
    path("account/", account.overview, name="account"),
    path("account/login/", auth.login_view, name="login"),
    path("account/signup/", auth.signup, name="signup"),
    path("account/logout/", auth.logout_view, name="logout"),
    path(
        "account/sign-out-everywhere/",
        auth.sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    path("account/password/reset/", auth.password_reset, name="password_reset"),
    path(
        "account/password/reset/<str:uid>/<str:token>/",
        auth.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("account/preferences/", account.preferences, name="preferences"),
    path("account/card/", payment.card, name="card"),
    path("account/card/saved/", payment.card_saved, name="card_saved"),
    path("account/receipts/<str:number>/", account.receipt, name="receipt"),
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe_view, name="unsubscribe"),
    path("account/data/export/", account.export_data, name="export"),
    path("account/delete/", account.delete, name="delete_account"),
    path(
        "account/bookings/<reference:reference>/",
        account.booking_detail,
        name="booking_detail",
    ),
    path(
        "account/bookings/<reference:reference>/invite.ics",
        account.booking_invite_view,
        name="booking_invite",
    ),
    path(
        "account/bookings/<reference:reference>/cancel/", account.cancel_booking_view, name="cancel"
    ),
    path(
        "account/bookings/<reference:reference>/reschedule/",
        account.reschedule_booking_view,
        name="reschedule",
    ),
]
