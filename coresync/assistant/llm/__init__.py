"""Optional LLM engines (``ASSISTANT_ENGINE``: ``openai`` or ``anthropic``): they answer a
turn like :class:`coresync.assistant.engine.OfflineEngine` and act only through the same
tools (:mod:`coresync.assistant.llm.toolset`) under the same confirm-before-write rule."""
