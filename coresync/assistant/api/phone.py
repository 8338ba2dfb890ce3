"""The phone channel: Twilio's voice webhook (docs/assistant.md "Phone").

Twilio posts each step of a call here, signed with the account's auth token
(``X-Twilio-Signature``, checked with the SDK's ``RequestValidator``; a bad or missing one is
403 and nothing is stored). The answer is TwiML: the assistant's reply said inside a
``<Gather input="speech">`` whose ``action`` is this URL, so the caller's next words
(``SpeechResult``) come back as the next turn of the same conversation, answered by the same
service as the site and the API.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

from coresync.assistant.errors import AssistantDisabled
from coresync.assistant.services import handle_call_turn
from coresync.core.errors import InvalidInput

GREETING = (
    "Hello, this is the CoreSync assistant. I can tell you prices and free times, and book, "
    "move or cancel a visit. How can I help?"
)
NOT_HEARD = "Sorry, I didn't catch that. Could you say it again?"
GOODBYE = "I didn't hear anything, so I'll hang up. Goodbye."
BOOK_FROM_ACCOUNT_NUMBER = (
    " To book by phone, call from the number on your CoreSync account, or book on our site."
)


def _public_url(request: HttpRequest) -> str:
    """The URL Twilio signed: the public origin when a proxy hides it
    (``TWILIO_WEBHOOK_BASE_URL``), else the request's own."""
    if settings.TWILIO_WEBHOOK_BASE_URL:
        return settings.TWILIO_WEBHOOK_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


def _signed(request: HttpRequest) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(_public_url(request), request.POST.dict(), signature)


def _twiml(response: VoiceResponse) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8")


def _ask(request: HttpRequest, text: str) -> HttpResponse:
    """Say ``text`` and listen for the caller's answer, posted back to this URL."""
    response = VoiceResponse()
    gather = Gather(
        input="speech",
        action=request.path,
        method="POST",
        speech_timeout="auto",
        language="en-US",
        action_on_empty_result=True,
    )
    gather.say(text, voice=settings.ASSISTANT_PHONE_VOICE)
    response.append(gather)
    response.say(GOODBYE, voice=settings.ASSISTANT_PHONE_VOICE)
    response.hangup()
    return _twiml(response)


@csrf_exempt
@require_POST
def twilio_voice(request: HttpRequest) -> HttpResponse:
    """One step of a call: the greeting (no ``SpeechResult`` yet) or the answer to what
    the caller said."""
    if not _signed(request):
        return HttpResponse("Invalid signature.", status=403, content_type="text/plain")
    if "SpeechResult" not in request.POST:
        if not settings.ASSISTANT_ENABLED:
            return _switched_off()
        return _ask(request, GREETING)
    try:
        answer = handle_call_turn(
            call_id=request.POST.get("CallSid", ""),
            caller_number=request.POST.get("From", ""),
            text=request.POST.get("SpeechResult", ""),
        )
    except AssistantDisabled:
        return _switched_off()
    except InvalidInput:
        return _ask(request, NOT_HEARD)
    reply = answer.reply
    if any(action["type"] == "sign_in_required" for action in answer.actions):
        reply = reply.replace("Please sign in to book it; I'll keep this conversation.", "")
        reply = reply.rstrip() + BOOK_FROM_ACCOUNT_NUMBER
    return _ask(request, reply)


def _switched_off() -> HttpResponse:
    response = VoiceResponse()
    response.say(
        f"The assistant is switched off. Please call the front desk at "
        f"{settings.ASSISTANT_SPA_FACTS['phone']} or book on our site. Goodbye.",
        voice=settings.ASSISTANT_PHONE_VOICE,
    )
    response.hangup()
    return _twiml(response)
