"""The Anthropic engine: messages with tools (``tool_use`` / ``tool_result`` blocks),
through the official ``anthropic`` SDK."""

import json

import anthropic
from django.conf import settings

from coresync.assistant.llm import base, toolset
from coresync.assistant.llm.base import Completion, LLMEngine, ProviderUnavailable, ToolRequest

MAX_TOKENS = 1024


class AnthropicEngine(LLMEngine):
    """``ASSISTANT_ENGINE=anthropic``."""

    def __init__(self, client: anthropic.Anthropic, model: str, max_rounds: int = 6):
        self.client = client
        self.model = model
        self.max_rounds = max_rounds

    @classmethod
    def from_settings(cls) -> "AnthropicEngine":
        """Build the engine from ``ANTHROPIC_API_KEY``, ``ASSISTANT_LLM_MODEL`` and the
        timeout."""
        client = anthropic.Anthropic(
            api_key=settings.ANTHROPIC_API_KEY,
            timeout=settings.ASSISTANT_LLM_TIMEOUT_SECONDS,
            max_retries=1,
            http_client=base.http_client(),
        )
        return cls(client, settings.ASSISTANT_LLM_MODEL, settings.ASSISTANT_LLM_MAX_TOOL_ROUNDS)

    def complete(self, system: str, conversation: list) -> Completion:
        try:
            message = self.client.messages.create(
                model=self.model,
                max_tokens=MAX_TOKENS,
                system=system,
                messages=conversation,
                tools=toolset.anthropic_schemas(),
            )
        except anthropic.AnthropicError as error:
            raise ProviderUnavailable(str(error)) from error
        text = "".join(block.text for block in message.content if block.type == "text")
        requests = [
            ToolRequest(block.id, block.name, block.input)
            for block in message.content
            if block.type == "tool_use"
        ]
        return Completion(text=text, tool_requests=requests, raw=message)

    def add_tool_results(self, conversation: list, completion: Completion, outcomes) -> None:
        content = []
        for block in completion.raw.content:
            if block.type == "text":
                content.append({"type": "text", "text": block.text})
            elif block.type == "tool_use":
                content.append(
                    {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
                )
        conversation.append({"role": "assistant", "content": content})
        conversation.append(
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": request.id,
                        "content": json.dumps(outcome.result, default=str),
                        "is_error": outcome.refused,
                    }
                    for request, outcome in outcomes
                ],
            }
        )
