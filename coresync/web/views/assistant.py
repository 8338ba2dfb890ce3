"""The assistant's chat section on the home, men's suite and private spa pages (SPEC §9,
docs/assistant.md "The site chat").

The section posts the guest's words to :func:`chat`, which calls the assistant's one entry
point (:func:`coresync.assistant.services.handle_message`) in-process and renders the turn
on the server (autoescaped): with htmx the two new messages are appended to the log; without
JavaScript the form posts and the page comes back with the whole conversation. The
conversation id lives in the session, so a guest who signs in continues it.
"""

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from coresync.assistant.models import Channel, Message, Role
from coresync.assistant.selectors import transcript
from coresync.assistant.services import handle_message
from coresync.catalog.models import Service
from coresync.core.errors import InvalidInput, NotFound
from coresync.web.throttle import assistant_chat_retry_after

SESSION_KEY = "assistant_conversation"
SECTION_ANCHOR = "#assistant"
SUGGESTED_SERVICES = 4
TOO_MANY = _lazy("Too many messages at once. Please wait a minute and try again.")


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def _service_names(messages: list) -> dict[str, str]:
    slugs = {
        action.get("service")
        for message in messages
        for action in (message.actions or [])
        if action.get("service")
    }
    if not slugs:
        return {}
    return dict(Service.objects.filter(slug__in=slugs).values_list("slug", "name"))


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _display(message, names: dict[str, str]) -> dict:
    """One message as the template shows it: the text and its actions made into cards and
    buttons (slot times with the words the button sends)."""
    cards, times, proposal, sign_in, booked = [], [], None, False, None
    for action in message.actions or []:
        kind = action.get("type")
        service = names.get(action.get("service"), action.get("service"))
        if kind == "slots":
            for slot in action.get("slots", []):
                start = _when(slot["start"])
                times.append(
                    {
                        "start": start,
                        # Words the assistant understands wherever the guest is in the talk.
                        "text": f"{start:%A}, {start:%B} {start.day} at {start:%I:%M %p}".replace(
                            " 0", " "
                        ),
                        "service": service,
                        "price": slot.get("price", {}).get("total"),
                    }
                )
        elif kind == "quote":
            cards.append({"service": service, "price": action["price"]["total"]})
        elif kind == "proposal":
            proposal = {**action, "service_name": service, "start_at": _when(action.get("start"))}
        elif kind == "sign_in_required":
            sign_in = True
        elif kind in ("booking_created", "booking_rescheduled"):
            booked = action["reference"]
    return {
        "role": message.role,
        "text": message.text,
        "cards": cards,
        "times": times,
        "proposal": proposal,
        "sign_in": sign_in,
        "booked": booked,
    }


def _display_all(messages: list) -> list[dict]:
    names = _service_names(messages)
    return [_display(message, names) for message in messages]


def chat_section(request: HttpRequest, services=()) -> dict:
    """The template context of the chat section for a page: nothing when the kill switch
    is off; else the conversation so far and up to four services to start with."""
    if not settings.ASSISTANT_ENABLED:
        return {"assistant_enabled": False}
    conversation_id = request.session.get(SESSION_KEY)
    messages = []
    if conversation_id:
        messages = transcript(conversation_id, request.user, request.session.session_key or "")
    return {
        "assistant_enabled": True,
        "assistant_messages": _display_all(messages),
        "assistant_services": list(services)[:SUGGESTED_SERVICES],
        "assistant_next": request.get_full_path() + SECTION_ANCHOR,
    }


def _back(request: HttpRequest) -> str:
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("web:home") + SECTION_ANCHOR


@require_POST
def chat(request: HttpRequest) -> HttpResponse:
    """Answer one message of the chat section: the new turn (htmx) or back to the page."""
    if not settings.ASSISTANT_ENABLED:
        return HttpResponse(status=503)
    wait = assistant_chat_retry_after(request)
    if wait:
        response = render(request, "web/assistant/error.html", {"error": TOO_MANY}, status=429)
        response["Retry-After"] = str(wait)
        return response
    session_key = _session_key(request)
    arguments = {
        "user": request.user,
        "text": request.POST.get("text", ""),
        "channel": Channel.WEB,
        "session_key": session_key,
    }
    error = None
    try:
        try:
            answer = handle_message(conversation_id=request.session.get(SESSION_KEY), **arguments)
        except NotFound:  # purged, or left behind by another account: start afresh
            answer = handle_message(conversation_id=None, **arguments)
    except InvalidInput as refusal:
        error = refusal.fields.get("text", refusal.message)
    else:
        request.session[SESSION_KEY] = str(answer.conversation.pk)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(_back(request))
    if error:
        return render(request, "web/assistant/error.html", {"error": error})
    turn = [
        Message(role=Role.USER, text=arguments["text"].strip()),
        Message(role=Role.ASSISTANT, text=answer.reply, actions=answer.actions),
    ]
    context = {"messages_shown": _display_all(turn), "assistant_next": _back(request)}
    return render(request, "web/assistant/turn.html", context)


@require_POST
def chat_new(request: HttpRequest) -> HttpResponse:
    """Start the chat afresh: this browser stops continuing its conversation (which stays
    with the assistant's records, as any ended conversation) and goes back to the page."""
    request.session.pop(SESSION_KEY, None)
    return redirect(_back(request))
