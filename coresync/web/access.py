"""Who may open a booking's pages on the site: its signed-in customer, or anyone holding the
signed link of a booking message (``?access=<token>``, :mod:`coresync.bookings.access`).

The token opens that one booking only; the pages pass it along (query string or form field
``access``) so that the booking's cancel and reschedule actions work for the same visitor.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest

from coresync.bookings.access import ACCESS_QUERY_PARAMETER, booking_from_access_token
from coresync.bookings.models import Booking
from coresync.web.selectors import customer_booking, with_booking_details


def access_token_of(request: HttpRequest) -> str:
    """Return the access token the request carries (form field first, then query), or ``""``."""
    token = request.POST.get(ACCESS_QUERY_PARAMETER) if request.method == "POST" else None
    return token or request.GET.get(ACCESS_QUERY_PARAMETER) or ""


def booking_for_request(request: HttpRequest, reference: str) -> Booking:
    """Return the booking ``reference`` if the request may open it, else raise ``Http404``.

    Allowed: the booking's customer signed in, or a valid signed access token for this very
    booking (``?access=`` or a form field ``access``). Another customer's booking, a token for
    another booking, a forged or expired token all answer 404, so nothing tells which
    references exist.
    """
    user = request.user
    if user.is_authenticated:
        booking = customer_booking(user, reference)
        if booking is not None:
            return booking
    token = access_token_of(request)
    if token:
        booking = booking_from_access_token(token, reference=reference)
        if booking is not None:
            return with_booking_details(booking.pk)
    raise Http404("No such booking.")


def acting_user(request: HttpRequest, booking: Booking):
    """Return who acts on ``booking`` for the history: the signed-in user when it is the
    booking's customer, else the customer the access link stands for."""
    user = request.user
    if user.is_authenticated and user.pk == booking.customer_id:
        return user
    return booking.customer


def login_or_access_token(view: Callable) -> Callable:
    """Like ``login_required``, but a request carrying an access token goes through (the view
    then checks it with :func:`booking_for_request`)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated and not access_token_of(request):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped
