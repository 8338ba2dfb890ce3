import pytest

from coresync.googlesync.models import CalendarLink, CredentialKind


@pytest.fixture
def google_on(settings):
    settings.GOOGLE_PROVIDER = "google"


@pytest.fixture
def google_answers(monkeypatch):
    """Serve Google's answers from a list set by the test: ``google_answers([...])``."""
    from coresync.googlesync.providers import google
    from coresync.googlesync.tests.google_fake import RecordedGoogle

    recorded = {}

    def install(answers):
        recorded["http"] = RecordedGoogle(answers)
        monkeypatch.setattr(google, "authorized_http", lambda link, scopes: recorded["http"])
        return recorded["http"]

    return install


@pytest.fixture
def ana_calendar(spa):
    return CalendarLink.objects.create(
        technician=spa.ana, kind=CredentialKind.SERVICE_ACCOUNT, calendar_id="ana@spa.example"
    )
