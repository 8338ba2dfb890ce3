"""The assistant's own refusals (the API maps them: ARCHITECTURE.md "Assistant")."""

from coresync.core.errors import DomainError


class AssistantDisabled(DomainError):
    """The kill switch ``ASSISTANT_ENABLED`` is off (503 ``assistant_disabled``)."""

    code = "assistant_disabled"
    status = 503
    default_message = "The assistant is switched off. Please book on the site or call us."
