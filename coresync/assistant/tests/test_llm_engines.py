"""The optional LLM engines (docs/assistant.md "Switching on an LLM engine"), offline: the
providers' HTTP APIs are mocked with respx, answering exactly as the real ones do (OpenAI
``chat.completions`` with ``tool_calls``; Anthropic ``messages`` with ``tool_use`` blocks).
The model is scripted; what matters is what the server lets it do: tools only, no write
without the caller's yes to the previous turn's proposal, never an id the server did not
confirm, and every refusal passed back to the model.

The SDKs send through ``httpx2``, which respx does not patch: the engines' HTTP client
(:func:`coresync.assistant.llm.base.http_client`) is given a transport that hands each
request, bytes and headers as sent, to a respx router and returns its response as received.

The frozen now is Tuesday 2026-12-01 08:00 New York (see ``test_api``).
"""

import json
import uuid

import httpx
import httpx2
import pytest
import respx
from rest_framework.test import APIClient

from conftest import local
from coresync.assistant.llm import base, toolset
from coresync.assistant.models import Outcome, Proposal, ToolCall
from coresync.bookings.models import Booking, BookingStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/assistant/messages/"
OPENAI_URL = "https://api.openai.com/v1/chat/completions"
ANTHROPIC_URL = "https://api.anthropic.com/v1/messages"
FRIDAY_3PM = "2026-12-04T15:00:00-05:00"


class ScriptedModel:
    """A provider endpoint answering with the given bodies in turn, keeping each request."""

    def __init__(self, *bodies: dict):
        self.bodies = list(bodies)
        self.requests: list[dict] = []

    def add(self, *bodies: dict) -> None:
        self.bodies.extend(bodies)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content))
        return httpx.Response(200, json=self.bodies.pop(0))


# --- the providers' response shapes -------------------------------------------------------


def openai_tool_calls(*calls: tuple[str, dict]) -> dict:
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex[:12],
        "object": "chat.completion",
        "created": 1764594000,
        "model": "gpt-test",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": f"call_{index}_{uuid.uuid4().hex[:8]}",
                            "type": "function",
                            "function": {"name": name, "arguments": json.dumps(arguments)},
                        }
                        for index, (name, arguments) in enumerate(calls)
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 812, "completion_tokens": 31, "total_tokens": 843},
    }


def openai_text(text: str) -> dict:
    body = openai_tool_calls()
    body["choices"][0]["message"] = {"role": "assistant", "content": text, "refusal": None}
    body["choices"][0]["finish_reason"] = "stop"
    return body


def anthropic_message(*blocks: dict, stop_reason: str = "tool_use") -> dict:
    return {
        "id": "msg_" + uuid.uuid4().hex[:20],
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": list(blocks),
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 900, "output_tokens": 40},
    }


def tool_use(name: str, arguments: dict) -> dict:
    return {
        "type": "tool_use",
        "id": "toolu_" + uuid.uuid4().hex[:16],
        "name": name,
        "input": arguments,
    }


def text_block(text: str) -> dict:
    return {"type": "text", "text": text}


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def provider(monkeypatch) -> respx.MockRouter:
    """A respx router standing for the provider's API, wired into the SDKs' client."""
    router = respx.MockRouter(assert_all_called=False)

    def handle(request: httpx2.Request) -> httpx2.Response:
        sent = httpx.Request(
            request.method,
            str(request.url),
            headers=list(request.headers.raw),
            content=request.read(),
        )
        received = router.handler(sent)
        return httpx2.Response(
            received.status_code, headers=list(received.headers.raw), content=received.read()
        )

    monkeypatch.setattr(
        base, "http_client", lambda: httpx2.Client(transport=httpx2.MockTransport(handle))
    )
    return router


@pytest.fixture
def openai_engine(settings):
    settings.ASSISTANT_ENGINE = "openai"
    settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
    settings.OPENAI_BASE_URL = ""
    settings.ASSISTANT_LLM_MODEL = "gpt-test"


@pytest.fixture
def anthropic_engine(settings):
    settings.ASSISTANT_ENGINE = "anthropic"
    settings.ANTHROPIC_API_KEY = "sk-ant-test-not-a-real-key"
    settings.ASSISTANT_LLM_MODEL = "claude-test"


class Chat:
    def __init__(self, user=None):
        self.client = APIClient()
        if user is not None:
            self.client.force_authenticate(user)
        self.conversation = None

    def say(self, text: str) -> dict:
        body = {"text": text, **({"conversation": self.conversation} if self.conversation else {})}
        response = self.client.post(URL, body, format="json")
        assert response.status_code == 200, response.content
        data = response.json()
        self.conversation = data["conversation"]
        return data


def tool_messages(request: dict) -> list[dict]:
    """The tool results an OpenAI request sends back to the model, parsed."""
    return [json.loads(m["content"]) for m in request["messages"] if m["role"] == "tool"]


# --- OpenAI-compatible --------------------------------------------------------------------


def test_openai_books_only_after_the_proposal_and_the_callers_yes(
    provider, customer, frozen_now, openai_engine
):
    model = ScriptedModel(
        openai_tool_calls(("check_availability", {"service": "swedish", "day": "2026-12-04"})),
        openai_tool_calls(
            ("propose_booking", {"service": "swedish", "start": FRIDAY_3PM, "technician": "ana"})
        ),
        openai_text("Friday 4 December at 3 PM with Ana is $108.88. Shall I book it?"),
    )
    route = provider.post(OPENAI_URL).mock(side_effect=model)
    chat = Chat(customer)

    first = chat.say("Swedish massage with Ana on Friday at 3?")

    assert first["reply"] == "Friday 4 December at 3 PM with Ana is $108.88. Shall I book it?"
    assert [action["type"] for action in first["actions"]] == ["slots", "proposal"]
    assert first["actions"][1]["start"] == FRIDAY_3PM
    assert not Booking.objects.exists()
    # The instructions carry "now" in the spa's zone and the tools come from the tool layer.
    system = model.requests[0]["messages"][0]
    assert system["role"] == "system"
    assert "Tuesday 1 December 2026, 08:00 in America/New_York (UTC-05:00)" in system["content"]
    assert "No proposal may be carried out in this turn." in system["content"]
    names = [tool["function"]["name"] for tool in model.requests[0]["tools"]]
    assert names == [tool.name for tool in toolset.TOOLS]
    assert model.requests[0]["model"] == "gpt-test"
    assert route.calls[0].request.headers["Authorization"] == "Bearer sk-test-not-a-real-key"

    proposal = Proposal.objects.get()
    model.add(
        openai_tool_calls(("book", {"proposal_id": str(proposal.pk)})),
        openai_text("Booked!"),
    )
    second = chat.say("yes")

    booking = Booking.objects.get()
    assert booking.customer == customer
    assert booking.start == local(2026, 12, 4, 15)
    assert booking.technician.slug == "ana"
    assert booking.status == BookingStatus.CONFIRMED
    assert second["actions"] == [
        {
            "type": "booking_created",
            "reference": booking.reference,
            "status": "confirmed",
            "start": FRIDAY_3PM,
        }
    ]
    # The model saw the conversation so far and the proposal it may carry out.
    request = model.requests[3]
    assert f"said yes to proposal {proposal.pk}" in request["messages"][0]["content"]
    assert [m["role"] for m in request["messages"][1:]] == ["user", "assistant", "user"]


def test_openai_a_model_booking_without_a_proposal_is_refused_and_told_why(
    provider, customer, frozen_now, openai_engine
):
    model = ScriptedModel(
        openai_tool_calls(("book", {"proposal_id": str(uuid.uuid4())})),
        openai_text("I need to propose it first."),
    )
    provider.post(OPENAI_URL).mock(side_effect=model)

    answer = Chat(customer).say("Book me a Swedish massage on Friday at 3, no need to ask")

    assert not Booking.objects.exists()
    assert answer["actions"] == []
    assert tool_messages(model.requests[1]) == [
        {"error": {"code": "no_proposal", "message": "There is nothing waiting for your yes."}}
    ]
    refused = ToolCall.objects.get(tool="claim_confirmed")
    assert (refused.outcome, refused.error_code) == (Outcome.REFUSED, "no_proposal")


def test_openai_a_model_inventing_an_id_after_a_yes_is_refused(
    provider, customer, frozen_now, openai_engine
):
    model = ScriptedModel(
        openai_tool_calls(("propose_booking", {"service": "swedish", "start": FRIDAY_3PM})),
        openai_text("Shall I book Friday at 3 PM?"),
    )
    provider.post(OPENAI_URL).mock(side_effect=model)
    chat = Chat(customer)
    chat.say("Swedish massage on Friday at 3")
    real = Proposal.objects.get()

    invented = str(uuid.uuid4())
    model.add(
        openai_tool_calls(("book", {"proposal_id": invented})),
        openai_text("Sorry, that did not work."),
    )
    chat.say("yes")

    assert not Booking.objects.exists()
    assert tool_messages(model.requests[3])[0]["error"]["code"] == "no_proposal"
    real.refresh_from_db()
    assert real.used_at is None


def test_openai_cannot_book_a_proposal_made_in_the_same_turn(
    provider, customer, frozen_now, openai_engine
):
    # Given a proposal for 3 PM, and the caller's yes
    model = ScriptedModel(
        openai_tool_calls(("propose_booking", {"service": "swedish", "start": FRIDAY_3PM})),
        openai_text("Shall I book Friday at 3 PM?"),
        openai_tool_calls(
            ("propose_booking", {"service": "swedish", "start": "2026-12-04T14:00:00-05:00"})
        ),
    )
    provider.post(OPENAI_URL).mock(side_effect=model)
    chat = Chat(customer)
    chat.say("Swedish massage on Friday at 3")

    def book_the_newest(request: httpx.Request) -> httpx.Response:
        if len(model.requests) == 3:  # after its own proposal of 2 PM, the model books that
            model.requests.append(json.loads(request.content))
            newest = Proposal.objects.get(payload__start="2026-12-04T14:00:00-05:00")
            return httpx.Response(
                200, json=openai_tool_calls(("book", {"proposal_id": str(newest.pk)}))
            )
        return model(request)

    provider.post(OPENAI_URL).mock(side_effect=book_the_newest)
    model.add(openai_text("Sorry."))

    # When the model proposes 2 PM and books it in the same turn
    chat.say("yes")

    # Then the 2 PM proposal is refused; only the 3 PM one could have been booked
    assert not Booking.objects.exists()
    assert tool_messages(model.requests[4])[-1]["error"]["code"] == "no_proposal"
    assert Proposal.objects.count() == 2


def test_openai_a_rule_refusing_the_tool_is_passed_back_to_the_model(
    provider, customer, frozen_now, openai_engine
):
    model = ScriptedModel(
        openai_tool_calls(
            ("propose_booking", {"service": "swedish", "start": "2026-12-04T07:00:00-05:00"}),
            ("propose_booking", {"service": "no-such-service", "start": FRIDAY_3PM}),
            ("teleport", {}),
            ("check_availability", {"service": "swedish", "day": "Friday"}),
        ),
        openai_text("We open later; 7 AM is not possible."),
    )
    provider.post(OPENAI_URL).mock(side_effect=model)

    answer = Chat(customer).say("Swedish massage Friday at 7am")

    results = tool_messages(model.requests[1])
    assert results[0]["error"]["code"] in ("outside_working_hours", "slot_unavailable")
    assert results[1]["error"]["code"] in ("invalid", "not_found")
    assert results[2] == {
        "error": {"code": "unknown_tool", "message": "There is no tool 'teleport'."}
    }
    assert results[3] == {"error": {"code": "invalid", "message": "day must be YYYY-MM-DD."}}
    assert answer["actions"] == []
    assert not Proposal.objects.exists()
    assert not Booking.objects.exists()


def test_openai_a_guest_is_told_to_sign_in_and_nothing_is_proposed(
    provider, spa, frozen_now, openai_engine
):
    model = ScriptedModel(
        openai_tool_calls(("propose_booking", {"service": "swedish", "start": FRIDAY_3PM})),
        openai_text("Please sign in to book; I'll keep this conversation."),
    )
    provider.post(OPENAI_URL).mock(side_effect=model)

    answer = Chat().say("Book a Swedish massage on Friday at 3")

    assert answer["actions"] == [{"type": "sign_in_required"}]
    assert tool_messages(model.requests[1])[0]["error"]["code"] == "sign_in_required"
    assert "The caller is a guest" in model.requests[0]["messages"][0]["content"]
    assert not Proposal.objects.exists()


def test_openai_down_hands_off_and_changes_nothing(provider, customer, frozen_now, openai_engine):
    provider.post(OPENAI_URL).mock(
        return_value=httpx.Response(500, json={"error": {"message": "x"}})
    )

    answer = Chat(customer).say("yes")

    assert answer["actions"] == [{"type": "handoff", "reason": "engine_unavailable"}]
    assert "front desk" in answer["reply"]
    assert not Booking.objects.exists()


# --- Anthropic ----------------------------------------------------------------------------


def test_anthropic_books_after_the_yes_and_refuses_an_invented_id(
    provider, customer, frozen_now, anthropic_engine
):
    model = ScriptedModel(
        anthropic_message(
            text_block("Let me check."),
            tool_use("propose_booking", {"service": "swedish", "start": FRIDAY_3PM}),
        ),
        anthropic_message(
            text_block("Friday at 3 PM is $108.88. Book it?"), stop_reason="end_turn"
        ),
    )
    route = provider.post(ANTHROPIC_URL).mock(side_effect=model)
    chat = Chat(customer)

    first = chat.say("Swedish massage on Friday at 3")

    assert first["reply"] == "Friday at 3 PM is $108.88. Book it?"
    assert [action["type"] for action in first["actions"]] == ["proposal"]
    request = model.requests[0]
    assert "Tuesday 1 December 2026, 08:00 in America/New_York" in request["system"]
    assert [tool["name"] for tool in request["tools"]] == [tool.name for tool in toolset.TOOLS]
    assert "input_schema" in request["tools"][0]
    headers = route.calls[0].request.headers
    assert "sk-ant-test-not-a-real-key" in (
        headers.get("x-api-key", "") + headers.get("authorization", "")
    )
    # The tool result went back as a tool_result block answering the tool_use.
    follow_up = model.requests[1]["messages"]
    tool_use_id = follow_up[1]["content"][1]["id"]
    assert follow_up[2]["content"][0]["tool_use_id"] == tool_use_id
    assert follow_up[2]["content"][0]["is_error"] is False

    proposal = Proposal.objects.get()
    model.add(
        anthropic_message(tool_use("book", {"proposal_id": str(uuid.uuid4())})),
        anthropic_message(tool_use("book", {"proposal_id": str(proposal.pk)})),
        anthropic_message(text_block("Booked."), stop_reason="end_turn"),
    )
    second = chat.say("Yes please")

    refusal = model.requests[3]["messages"][-1]["content"][0]
    assert refusal["is_error"] is True
    assert json.loads(refusal["content"])["error"]["code"] == "no_proposal"
    booking = Booking.objects.get()
    assert booking.customer == customer
    assert booking.start == local(2026, 12, 4, 15)
    assert [action["type"] for action in second["actions"]] == ["booking_created"]


def test_anthropic_a_yes_with_nothing_proposed_books_nothing(
    provider, customer, frozen_now, anthropic_engine
):
    model = ScriptedModel(
        anthropic_message(tool_use("book", {"proposal_id": str(uuid.uuid4())})),
        anthropic_message(text_block("There is nothing to confirm."), stop_reason="end_turn"),
    )
    provider.post(ANTHROPIC_URL).mock(side_effect=model)

    Chat(customer).say("yes")

    assert not Booking.objects.exists()
    assert "No proposal may be carried out in this turn." in model.requests[0]["system"]
    assert json.loads(model.requests[1]["messages"][-1]["content"][0]["content"]) == {
        "error": {"code": "no_proposal", "message": "There is nothing waiting for your yes."}
    }


def test_the_tool_schemas_come_from_the_one_tool_layer():
    openai_names = [tool["function"]["name"] for tool in toolset.openai_schemas()]
    anthropic_names = [tool["name"] for tool in toolset.anthropic_schemas()]

    assert openai_names == anthropic_names
    assert {"book", "cancel", "reschedule"} <= set(openai_names)
    book = toolset.BY_NAME["book"]
    assert book.parameters["required"] == ["proposal_id"]
    assert toolset.BY_NAME["check_availability"].description.startswith(
        "Return the caller's free slots"
    )
