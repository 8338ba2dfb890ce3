"""The assistant's tools as a language model sees them: one list, from which the OpenAI
(``tools=[{"type": "function", …}]``) and Anthropic (``tools=[{"name", "input_schema"}]``)
schemas are generated, and one dispatcher that runs a model's call through
:mod:`coresync.assistant.tools` and answers with a JSON-able result plus the contract's
actions.

The model gets no more power than the offline engine: reads, proposals, and writes that
take only the proposal id this turn's plain yes confirmed (:func:`tools.claim_confirmed`).
Every refusal — a rule of the spa, a bad argument, an unknown tool, an invented id — comes
back to the model as ``{"error": {"code", "message"}}`` so it can tell the caller.
"""

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from coresync.assistant import tools
from coresync.assistant.dates import local_instant
from coresync.assistant.models import Operation
from coresync.core.errors import DomainError, InvalidInput
from coresync.core.money import format_amount

SLOTS_SHOWN = 6
SLOTS_TO_MODEL = 12

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
SERVICE = {"type": "string", "description": "service slug, from search_services"}
START = {
    "type": "string",
    "description": "ISO 8601 start in the spa's local time, with its UTC offset",
}
PROPOSAL_ID = {"type": "string", "description": "the id of the proposal the caller said yes to"}
SLUGS = {"type": "array", "items": {"type": "string"}, "description": "add-on slugs"}


@dataclass(frozen=True)
class ModelTool:
    """One tool offered to the model: its name, the tool function it runs (whose docstring
    is its description) and its JSON-schema properties."""

    name: str
    function: Callable
    properties: dict
    required: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        text = inspect.getdoc(self.function) or self.name
        return " ".join(text.split("\n\n")[0].split())

    @property
    def parameters(self) -> dict:
        return {
            "type": "object",
            "properties": self.properties,
            "required": list(self.required),
            "additionalProperties": False,
        }


def _write_doc(operation: str) -> str:
    return (
        f"Carry out the {operation} proposal the caller has just said yes to (its id is "
        "given in the instructions). Any other id is refused."
    )


def _book(context, proposal_id: str):
    proposal = tools.claim_confirmed(context, proposal_id=proposal_id, operation=Operation.BOOK)
    return tools.book(context, proposal=proposal)


def _cancel(context, proposal_id: str):
    proposal = tools.claim_confirmed(context, proposal_id=proposal_id, operation=Operation.CANCEL)
    return tools.cancel(context, proposal=proposal)


def _reschedule(context, proposal_id: str):
    proposal = tools.claim_confirmed(
        context, proposal_id=proposal_id, operation=Operation.RESCHEDULE
    )
    return tools.reschedule(context, proposal=proposal)


_book.__doc__ = _write_doc("booking")
_cancel.__doc__ = _write_doc("cancellation")
_reschedule.__doc__ = _write_doc("reschedule")

TOOLS: tuple[ModelTool, ...] = (
    ModelTool("search_services", tools.search_services, {}),
    ModelTool(
        "check_availability",
        tools.check_availability,
        {
            "service": SERVICE,
            "day": {"type": "string", "description": "first local day, YYYY-MM-DD"},
            "days": {"type": "integer", "minimum": 1, "maximum": 14},
            "duration": INTEGER,
            "addons": SLUGS,
            "technician": STRING,
            "part_of_day": {"type": "string", "enum": ["morning", "afternoon", "evening"]},
        },
        ("service", "day"),
    ),
    ModelTool(
        "quote",
        tools.quote,
        {"service": SERVICE, "duration": INTEGER, "addons": SLUGS, "start": START},
        ("service",),
    ),
    ModelTool("my_bookings", tools.my_bookings, {}),
    ModelTool("spa_info", tools.spa_info, {"topic": STRING}),
    ModelTool(
        "propose_booking",
        tools.propose_booking,
        {
            "service": SERVICE,
            "start": START,
            "duration": INTEGER,
            "addons": SLUGS,
            "technician": STRING,
        },
        ("service", "start"),
    ),
    ModelTool("propose_cancel", tools.propose_cancel, {"reference": STRING}, ("reference",)),
    ModelTool(
        "propose_reschedule",
        tools.propose_reschedule,
        {"reference": STRING, "start": START, "technician": STRING},
        ("reference", "start"),
    ),
    ModelTool("book", _book, {"proposal_id": PROPOSAL_ID}, ("proposal_id",)),
    ModelTool("cancel", _cancel, {"proposal_id": PROPOSAL_ID}, ("proposal_id",)),
    ModelTool("reschedule", _reschedule, {"proposal_id": PROPOSAL_ID}, ("proposal_id",)),
)
BY_NAME = {tool.name: tool for tool in TOOLS}


def openai_schemas() -> list[dict]:
    """The tools as OpenAI chat completions take them."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in TOOLS
    ]


def anthropic_schemas() -> list[dict]:
    """The tools as Anthropic messages take them."""
    return [
        {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
        for tool in TOOLS
    ]


@dataclass
class Outcome:
    """What a model's tool call gave: the result sent back to the model, the actions for
    the caller, and whether it was refused."""

    result: Any
    actions: list[dict]
    refused: bool = False


def _refusal(code: str, message: str) -> Outcome:
    return Outcome({"error": {"code": code, "message": message}}, [], refused=True)


def _parse_start(value: Any, context: tools.ToolContext) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput("start must be an ISO 8601 date and time.")
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("start must be an ISO 8601 date and time.") from None
    if start.tzinfo is None:  # a wall time: the spa's, and never one the clocks skip
        start = local_instant(start.date(), start.time(), context.zone)
        if start is None:
            raise InvalidInput("That local time does not exist that day (the clocks move).")
    return start


def _arguments(tool: ModelTool, raw: dict, context: tools.ToolContext) -> dict:
    unknown = set(raw) - set(tool.properties)
    if unknown:
        raise InvalidInput(f"Unknown argument(s): {', '.join(sorted(unknown))}.")
    missing = [name for name in tool.required if raw.get(name) in (None, "")]
    if missing:
        raise InvalidInput(f"Missing argument(s): {', '.join(missing)}.")
    arguments = {key: value for key, value in raw.items() if value is not None}
    if "start" in arguments:
        arguments["start"] = _parse_start(arguments["start"], context)
    if "day" in arguments:
        try:
            arguments["day"] = date.fromisoformat(str(arguments["day"]))
        except ValueError:
            raise InvalidInput("day must be YYYY-MM-DD.") from None
    for name in ("duration", "days"):
        if name in arguments and not isinstance(arguments[name], int):
            raise InvalidInput(f"{name} must be a whole number.")
    if "addons" in arguments and not (
        isinstance(arguments["addons"], list)
        and all(isinstance(slug, str) for slug in arguments["addons"])
    ):
        raise InvalidInput("addons must be a list of slugs.")
    return arguments


def run(context: tools.ToolContext, name: str, raw_arguments: str | dict | None) -> Outcome:
    """Run the model's call of tool ``name`` with ``raw_arguments`` (a JSON object, as
    text or parsed) as the caller of ``context``; never raises for the model's mistakes or
    the spa's rules: they become the refusal the model reads."""
    tool = BY_NAME.get(name)
    if tool is None:
        return _refusal("unknown_tool", f"There is no tool {name!r}.")
    if isinstance(raw_arguments, str):
        try:
            raw_arguments = json.loads(raw_arguments or "{}")
        except json.JSONDecodeError:
            return _refusal("invalid", "The arguments are not valid JSON.")
    if not isinstance(raw_arguments, dict):
        return _refusal("invalid", "The arguments must be a JSON object.")
    try:
        arguments = _arguments(tool, raw_arguments, context)
        value = tool.function(context, **arguments)
    except tools.SignInRequired as error:
        outcome = _refusal(error.code, error.message)
        outcome.actions.append({"type": "sign_in_required"})
        return outcome
    except DomainError as error:
        return _refusal(error.code, error.message)
    return _present(name, value, context, arguments)


def _present(name: str, value: Any, context: tools.ToolContext, arguments: dict) -> Outcome:
    """The model's view of a tool's value, and the contract's actions for the caller."""
    if name == "check_availability":
        slots = [tools.slot_json(row) for row in value]
        distinct, seen = [], set()
        for slot in slots:
            if slot["start"] not in seen:
                seen.add(slot["start"])
                distinct.append(slot)
        actions = []
        if distinct:
            actions.append(
                {
                    "type": "slots",
                    "service": arguments["service"],
                    "slots": distinct[:SLOTS_SHOWN],
                }
            )
        return Outcome({"slots": distinct[:SLOTS_TO_MODEL]}, actions)
    if name == "quote":
        return Outcome(value, [{"type": "quote", "service": arguments["service"], "price": value}])
    if name in ("propose_booking", "propose_cancel", "propose_reschedule"):
        _proposal, action = value
        return Outcome(
            {"proposal": action, "note": "Ask the caller to say yes; nothing is done yet."},
            [action],
        )
    if name == "my_bookings":
        return Outcome(
            {
                "bookings": [
                    {
                        "reference": booking.reference,
                        "service": booking.service.slug,
                        "start": booking.start.astimezone(context.zone).isoformat(),
                        "status": booking.status,
                    }
                    for booking in value
                ]
            },
            [],
        )
    if name == "book":
        start = value.start.astimezone(context.zone).isoformat()
        action = {
            "type": "booking_created",
            "reference": value.reference,
            "status": value.status,
            "start": start,
        }
        return Outcome({"booked": action}, [action])
    if name == "cancel":
        action = {
            "type": "booking_cancelled",
            "reference": value.reference,
            "cancellation_fee": format_amount(value.cancellation_fee),
        }
        return Outcome({"cancelled": action}, [action])
    if name == "reschedule":
        start = value.start.astimezone(context.zone).isoformat()
        action = {"type": "booking_rescheduled", "reference": value.reference, "start": start}
        return Outcome({"rescheduled": action}, [action])
    return Outcome(_jsonable(value), [])


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value
