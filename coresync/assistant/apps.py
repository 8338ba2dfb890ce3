from django.apps import AppConfig


class AssistantConfig(AppConfig):
    """The booking assistant (SPEC §9, ARCHITECTURE.md "Assistant"): conversations, the tool
    layer and the offline dialogue engine."""

    name = "coresync.assistant"
    label = "assistant"
    verbose_name = "Assistant"
