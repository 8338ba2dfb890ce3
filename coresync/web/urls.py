"""The guest website's paths (docs/website.md "Pages")."""

from django.templatetags.static import static
from django.urls import path, re_path, register_converter
from django.views.generic import RedirectView

from coresync.bookings.models import REFERENCE_PATTERN
from coresync.web.views import (
    account,
    assistant,
    auth,
    board,
    booking,
    concierge,
    dashboard,
    desk,
    integrations,
    pages,
    payment,
    rooms,
    shop,
    staff,
    unsubscribe,
)


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
    path("assistant/chat/", assistant.chat, name="assistant_chat"),
    path("assistant/chat/new/", assistant.chat_new, name="assistant_chat_new"),
    path("legal/privacy/", pages.privacy, name="privacy"),
    path("legal/terms/", pages.terms, name="terms"),
    path("legal/cancellation/", pages.cancellation_policy, name="cancellation"),
    path("shop/", shop.shop, name="shop"),
    path("shop/list/", shop.pickup_list, name="pickup_list"),
    path("shop/list/add/", shop.add_to_list, name="shop_add"),
    path("shop/orders/", shop.my_orders, name="my_orders"),
    path("shop/orders/<str:reference>/cancel/", shop.cancel_my_order, name="cancel_order"),
    path("shop/orders/<str:reference>/pay/", payment.order_pay, name="order_pay"),
    path("shop/orders/<str:reference>/paid/", payment.order_paid, name="order_paid"),
    path("concierge/", concierge.concierge, name="concierge"),
    path("concierge/<str:reference>/cancel/", concierge.cancel_my_request, name="cancel_request"),
    # The front desk's day board and booking on behalf (docs/front-desk.md).
    path("desk/", board.board, name="desk_board"),
    path("desk/book/", board.book, name="desk_book"),
    path(
        "desk/bookings/<reference:reference>/<str:action>/",
        board.board_action,
        name="desk_board_action",
    ),
    # The manager's dashboard (docs/dashboard.md).
    path("manage/dashboard/", dashboard.dashboard, name="dashboard"),
    re_path(
        r"^manage/dashboard/(?P<table>[a-z_]+)\.(?P<extension>csv|xlsx)$",
        dashboard.export,
        name="dashboard_export",
    ),
    path("desk/orders/", desk.orders, name="desk_orders"),
    path("desk/orders/<str:reference>/<str:step>/", desk.order_step, name="desk_order_step"),
    path("desk/requests/", desk.requests, name="desk_requests"),
    path("desk/requests/<str:reference>/<str:step>/", desk.request_step, name="desk_request_step"),
    path("desk/rooms/", rooms.rooms, name="desk_rooms"),
    path("desk/rooms/<slug:room>/scene/", rooms.play_scene, name="desk_room_scene"),
    path("book/", booking.book, name="book"),
    path("book/confirm/", booking.confirm, name="book_confirm"),
    path("book/done/<reference:reference>/", booking.done, name="book_done"),
    path("book/pay/<reference:reference>/", payment.book_pay, name="book_pay"),
    path("gift-cards/", payment.gift_card, name="gift_card"),
    path("packages/", payment.packages, name="packages"),
    path("packages/<uuid:purchase_id>/pay/", payment.package_pay, name="package_pay"),
    path("packages/<uuid:purchase_id>/paid/", payment.package_paid, name="package_paid"),
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
    # The staff portal (docs/staff.md): technicians, then managers.
    path("staff/", staff.today, name="staff_today"),
    path("staff/week/", staff.week, name="staff_week"),
    path("staff/day-sheet/", staff.day_sheet, name="staff_day_sheet"),
    path("staff/clock/", staff.clock, name="staff_clock"),
    path("staff/hours/", staff.hours, name="staff_hours"),
    path("staff/time-off/", staff.time_off, name="staff_time_off"),
    path("staff/time-off/<int:pk>/cancel/", staff.time_off_cancel, name="staff_time_off_cancel"),
    path("staff/calendar-feed/", staff.calendar_feed, name="staff_calendar_feed"),
    path("staff/manage/", staff.manage, name="staff_manage"),
    path("staff/manage/hours/<int:pk>/", staff.decide_entry, name="staff_decide_entry"),
    path("staff/manage/hours/<int:pk>/edit/", staff.edit_entry_page, name="staff_edit_entry"),
    path("staff/manage/time-off/<int:pk>/", staff.decide_time_off, name="staff_decide_time_off"),
    path("staff/manage/reassign/", staff.reassign, name="staff_reassign"),
    path("staff/manage/payroll/", staff.payroll, name="staff_payroll"),
    # Integrations (docs/quickbooks.md, docs/google.md): managers; the desk's calendar flags.
    path("staff/manage/accounting/", integrations.accounting_page, name="accounting"),
    path(
        "staff/manage/accounting/connect/",
        integrations.quickbooks_connect,
        name="quickbooks_connect",
    ),
    path(
        "staff/manage/accounting/callback/",
        integrations.quickbooks_callback,
        name="quickbooks_callback",
    ),
    path(
        "staff/manage/accounting/disconnect/",
        integrations.quickbooks_disconnect,
        name="quickbooks_disconnect",
    ),
    path(
        "staff/manage/accounting/receipts/<int:pk>/resend/",
        integrations.receipt_resend,
        name="receipt_resend",
    ),
    path("staff/manage/accounting/reconcile/", integrations.reconcile_now, name="reconcile_now"),
    path("staff/manage/accounting/mapping/", integrations.account_mapping, name="account_mapping"),
    path("staff/manage/google/", integrations.google_page, name="google"),
    path("staff/manage/google/callback/", integrations.google_callback, name="google_callback"),
    path(
        "staff/manage/google/service-account/",
        integrations.google_link_service_account,
        name="google_service_account",
    ),
    path(
        "staff/manage/google/<slug:slug>/connect/",
        integrations.google_connect,
        name="google_connect",
    ),
    path(
        "staff/manage/google/<slug:slug>/unlink/", integrations.google_unlink, name="google_unlink"
    ),
    path("desk/calendar-flags/", integrations.calendar_flags, name="desk_calendar_flags"),
    path("integrations/google/notify/", integrations.google_notify, name="google_notify"),
    re_path(
        r"^staff/manage/payroll/export\.(?P<extension>csv|xlsx)$",
        staff.payroll_export,
        name="staff_payroll_export",
    ),
]
