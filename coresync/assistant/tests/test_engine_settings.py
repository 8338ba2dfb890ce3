"""``ASSISTANT_ENGINE`` and its keys are parsed strictly at start-up: a wrong name or a
missing key fails loudly; a key may come from a ``*_FILE``."""

from coresync.core.tests.test_settings import run_manage

SHOW_ENGINE = (
    "from coresync.assistant.services import get_engine; "
    "engine = get_engine(); print(type(engine).__name__, engine.model)"
)


def test_an_unknown_engine_fails_loudly():
    result = run_manage("check", ASSISTANT_ENGINE="gpt")

    assert result.returncode != 0
    assert "ASSISTANT_ENGINE must be" in result.stderr


def test_an_llm_engine_without_its_key_or_model_fails_loudly():
    result = run_manage("check", ASSISTANT_ENGINE="openai", ASSISTANT_LLM_MODEL="gpt-test")

    assert result.returncode != 0
    assert "OPENAI_API_KEY" in result.stderr


def test_the_anthropic_engine_reads_its_key_from_a_file(tmp_path):
    key_file = tmp_path / "anthropic-key"
    key_file.write_text("sk-ant-from-a-file\n")

    result = run_manage(
        "shell",
        "-c",
        SHOW_ENGINE,
        ASSISTANT_ENGINE="anthropic",
        ASSISTANT_LLM_MODEL="claude-test",
        ANTHROPIC_API_KEY_FILE=str(key_file),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "AnthropicEngine claude-test"
