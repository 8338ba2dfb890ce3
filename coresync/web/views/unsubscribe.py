"""One-click unsubscribe from a kind of message (RFC 8058), no login needed.

``GET /unsubscribe/<token>/`` shows what the link turns off and a confirm button;
``POST`` (the mail client's one-click ``List-Unsubscribe=One-Click``, or that button) turns it
off. The signed token is the only credential (:mod:`coresync.notifications.unsubscribe`), so
this view alone is exempt from CSRF: a forged POST can only do what the token's owner's link
already does, for that owner and that kind.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from coresync.accounts.preferences import NOTIFICATION_KINDS
from coresync.notifications.unsubscribe import read_unsubscribe_token, unsubscribe


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm page (GET) or unsubscribe (POST); an invalid token is 404 and changes nothing."""
    found = unsubscribe(token) if request.method == "POST" else read_unsubscribe_token(token)
    if found is None:
        return render(request, "web/unsubscribe.html", {"invalid": True}, status=404)
    _user, kind = found
    context = {
        "kind_label": dict(NOTIFICATION_KINDS)[kind],
        "done": request.method == "POST",
    }
    response = render(request, "web/unsubscribe.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
