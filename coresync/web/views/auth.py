"""Sign in, sign up, sign out and password reset. A ``next`` parameter brings the guest back
where they were — the booking page keeps its choices in that URL."""

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from coresync.accounts.models import Role
from coresync.accounts.services import register_customer, reset_password, revoke_sign_ins
from coresync.core.errors import InvalidInput
from coresync.notifications.account_mail import request_password_reset
from coresync.web.forms import LoginForm, PasswordResetRequestForm, SetPasswordForm, SignupForm
from coresync.web.throttle import (
    login_retry_after,
    password_reset_retry_after,
    record_login_failure,
    signup_retry_after,
)


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _landing(user) -> str:
    """Where a sign-in without ``next`` lands: technicians on their day, others on My
    account."""
    if user.role == Role.TECHNICIAN:
        return reverse("web:staff_today")
    return reverse("web:account")


def _context(request: HttpRequest, form, **extra) -> dict:
    next_url = _next_url(request)
    return {
        "form": form,
        "next": next_url,
        "booking_waiting": next_url.startswith(reverse("web:book")),
        **extra,
    }


def _apply_field_errors(form, error: InvalidInput) -> None:
    for name, message in error.fields.items():
        form.add_error(name if name in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)


def _too_many(response: HttpResponse, wait: int) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


TOO_MANY = _lazy("Too many attempts. Please wait a few minutes and try again.")


def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in with email and password; failures are limited per address and per
    (address, email) (:mod:`coresync.web.throttle`)."""
    form = LoginForm(request.POST or None)
    wait = None
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        wait = login_retry_after(request, email)
        if wait:
            form.add_error(None, TOO_MANY)
        else:
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                record_login_failure(request, email)
                form.add_error(None, _("The email or password is not right."))
            else:
                login(request, user)
                return redirect(_next_url(request) or _landing(user))
    response = render(request, "web/auth/login.html", _context(request, form))
    return _too_many(response, wait) if wait else response


def signup(request: HttpRequest) -> HttpResponse:
    """Create a customer account and sign it in (a few a hour per address)."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = signup_retry_after(request)
        if wait:
            form.add_error(None, TOO_MANY)
            return _too_many(render(request, "web/auth/signup.html", _context(request, form)), wait)
        try:
            user = register_customer(**form.cleaned_data)
        except InvalidInput as error:
            _apply_field_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome, %(name)s. Your account is ready.") % {"name": user.get_short_name()},
            )
            return redirect(_next_url(request) or reverse("web:account"))
    return render(request, "web/auth/signup.html", _context(request, form))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("web:home")


@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every other session and revoke every app token; this browser stays signed in."""
    revoke_sign_ins(request.user)
    update_session_auth_hash(request, request.user)
    messages.success(request, _("You are signed out on every other device."))
    return redirect("web:preferences")


def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link; the answer is the same whether or not the account exists (the
    email is sent by the outbox worker). Limited per address and per email."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = password_reset_retry_after(request, form.cleaned_data["email"])
        if wait:
            form.add_error(None, TOO_MANY)
            page = render(request, "web/auth/password_reset.html", {"form": form})
            return _too_many(page, wait)
        request_password_reset(form.cleaned_data["email"])
        return render(request, "web/auth/password_reset_sent.html")
    return render(request, "web/auth/password_reset.html", {"form": form})


def password_reset_confirm(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """Choose a new password from the emailed link."""
    form = SetPasswordForm(request.POST or None)
    invalid_link = False
    if request.method == "POST" and form.is_valid():
        try:
            reset_password(uid=uid, token=token, new_password=form.cleaned_data["new_password"])
        except InvalidInput as error:
            invalid_link = "token" in error.fields
            if not invalid_link:
                _apply_field_errors(form, error)
        else:
            messages.success(request, _("Your password is changed. Please sign in."))
            return redirect("web:login")
    context = {"form": form, "invalid_link": invalid_link}
    return render(request, "web/auth/password_reset_confirm.html", context)
