"""The start-up check that uvicorn can accept WebSockets at all."""

from coresync.realtime import apps


def test_a_missing_websocket_implementation_is_reported(monkeypatch):
    monkeypatch.setattr(apps, "find_spec", lambda name: None)

    [warning] = apps.websocket_library_installed()

    assert warning.id == "realtime.W001"
    assert "uvicorn cannot accept WebSockets" in warning.msg


def test_nothing_is_reported_when_one_is_installed(monkeypatch):
    monkeypatch.setattr(apps, "find_spec", lambda name: object() if name == "wsproto" else None)

    assert apps.websocket_library_installed() == []
