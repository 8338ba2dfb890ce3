"""The OpenAI-compatible engine: chat completions with tool calling, through the official
``openai`` SDK (``OPENAI_BASE_URL`` points it at any compatible server)."""

import json

import openai
from django.conf import settings

from coresync.assistant.llm import base, toolset
from coresync.assistant.llm.base import Completion, LLMEngine, ProviderUnavailable, ToolRequest


class OpenAIEngine(LLMEngine):
    """``ASSISTANT_ENGINE=openai``."""

    def __init__(self, client: openai.OpenAI, model: str, max_rounds: int = 6):
        self.client = client
        self.model = model
        self.max_rounds = max_rounds

    @classmethod
    def from_settings(cls) -> "OpenAIEngine":
        """Build the engine from ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
        ``ASSISTANT_LLM_MODEL`` and the timeout."""
        client = openai.OpenAI(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL or None,
            timeout=settings.ASSISTANT_LLM_TIMEOUT_SECONDS,
            max_retries=1,
            http_client=base.http_client(),
        )
        return cls(client, settings.ASSISTANT_LLM_MODEL, settings.ASSISTANT_LLM_MAX_TOOL_ROUNDS)

    def complete(self, system: str, conversation: list) -> Completion:
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": system}, *conversation],
                tools=toolset.openai_schemas(),
                tool_choice="auto",
            )
        except openai.OpenAIError as error:
            raise ProviderUnavailable(str(error)) from error
        if not response.choices:
            raise ProviderUnavailable("no choices in the completion")
        message = response.choices[0].message
        requests = [
            ToolRequest(call.id, call.function.name, call.function.arguments)
            for call in (message.tool_calls or [])
            if call.type == "function"
        ]
        return Completion(text=message.content or "", tool_requests=requests, raw=message)

    def add_tool_results(self, conversation: list, completion: Completion, outcomes) -> None:
        conversation.append(
            {
                "role": "assistant",
                "content": completion.text or None,
                "tool_calls": [
                    {
                        "id": request.id,
                        "type": "function",
                        "function": {"name": request.name, "arguments": request.arguments},
                    }
                    for request, _outcome in outcomes
                ],
            }
        )
        for request, outcome in outcomes:
            conversation.append(
                {
                    "role": "tool",
                    "tool_call_id": request.id,
                    "content": json.dumps(outcome.result, default=str),
                }
            )
