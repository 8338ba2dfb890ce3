"""The concierge page: eligible members ask and follow their requests; others learn what the
concierge is and how to get it (SPEC §8)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coresync.concierge.selectors import requests_visible_to
from coresync.concierge.services import RequestDetails, cancel_request, is_eligible, submit_request
from coresync.core.errors import DomainError
from coresync.web.shop_forms import ConciergeRequestForm


def concierge(request: HttpRequest) -> HttpResponse:
    """The form and My requests for Premium and VIP members; the explanation for others."""
    eligible = is_eligible(request.user)
    form = ConciergeRequestForm(request.POST or None) if eligible else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            created = submit_request(request.user, RequestDetails(**form.cleaned_data))
        except DomainError as error:
            for field, message in (error.fields or {}).items():
                if field in form.fields:
                    form.add_error(field, message)
            if not error.fields or not set(error.fields) & set(form.fields):
                form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Request %(reference)s is with our concierge; we answer within 24 hours.")
                % {"reference": created.reference},
            )
            return redirect("web:concierge")
    mine = (
        requests_visible_to(request.user).filter(member=request.user)[:50]
        if request.user.is_authenticated
        else []
    )
    return render(
        request, "web/concierge/concierge.html", {"eligible": eligible, "form": form, "mine": mine}
    )


@require_POST
@login_required
def cancel_my_request(request: HttpRequest, reference: str) -> HttpResponse:
    row = requests_visible_to(request.user).filter(reference=reference, member=request.user).first()
    if row is None:
        raise Http404
    try:
        cancel_request(row, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Request %(reference)s is cancelled.") % {"reference": reference}
        )
    return redirect("web:concierge")
