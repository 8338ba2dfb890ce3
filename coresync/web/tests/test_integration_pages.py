"""The manager's integration pages: who may see them, the reconciliation report, the account
mapping, the pricing-sheet upload, the QuickBooks callback's state check, Google's push
notifications and the desk's list of bookings changed in Google."""

from datetime import timedelta
from decimal import Decimal

import pytest

from coresync.accounting.models import (
    IncomeAccountMapping,
    Mismatch,
    MismatchKind,
    QuickBooksConnection,
    ReconciliationRun,
)
from coresync.accounts.models import Role
from coresync.catalog.models import ServiceVariant
from coresync.googlesync.calendar import TOPIC_PULL_CALENDAR
from coresync.googlesync.models import CalendarLink, CredentialKind
from coresync.notifications.models import OutboxMessage
from coresync.spafile import pricing
from factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def technician_user(spa):
    return StaffFactory(email="ana@example.com", role=Role.TECHNICIAN, technician=spa.ana)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/manage/accounting/",
        "/staff/manage/accounting/mapping/",
        "/staff/manage/google/",
        "/staff/manage/pricing/",
        "/staff/manage/pricing/prices.xlsx",
    ],
)
def test_integration_pages_are_for_managers_only(client, customer, technician_user, manager, path):
    assert client.get(path).status_code == 302  # to the sign-in page
    for user in (customer, technician_user):
        client.force_login(user)
        assert client.get(path).status_code == 403
    client.force_login(manager)
    assert client.get(path).status_code == 200


def test_the_reconciliation_report_lists_each_mismatch(client, manager, frozen_now):
    run = ReconciliationRun.objects.create(day=frozen_now.date(), ran_at=frozen_now, checked=3)
    Mismatch.objects.create(
        run=run,
        kind=MismatchKind.AMOUNT_DIFFERS,
        entity="payment:7",
        expected=Decimal("146.98"),
        actual=Decimal("136.98"),
        quickbooks_ids=["101"],
    )
    Mismatch.objects.create(
        run=run, kind=MismatchKind.MISSING, entity="refund:2", expected=Decimal("50.00")
    )
    client.force_login(manager)

    page = client.get("/staff/manage/accounting/").content.decode()

    assert 'data-mismatch="amount_differs">Amount differs: payment:7' in page
    assert "$146.98" in page and "$136.98" in page and "(QuickBooks 101)" in page
    assert 'data-mismatch="missing">Missing in QuickBooks: refund:2' in page


def test_the_mapping_page_saves_accounts_and_items(client, manager, spa):
    client.force_login(manager)

    response = client.post(
        "/staff/manage/accounting/mapping/",
        {
            "account_id:service:massage": "79",
            "account_name:service:massage": "Massage income",
            "item_id:service:massage": "12",
            "account_id:addon": "80",
        },
    )

    assert response.status_code == 302
    assert sorted(
        IncomeAccountMapping.objects.values_list("category", "account_id", "item_id")
    ) == [("addon", "80", ""), ("service:massage", "79", "12")]


def test_an_uploaded_sheet_with_a_bad_price_shows_the_cell_and_imports_nothing(
    client, manager, spa
):
    tabs = pricing.export_pricing_tabs()
    category = next(tab for tab, rows in tabs.items() if any(row[-1] == "swedish" for row in rows))
    number, swedish = next(
        (number, row)
        for number, row in enumerate(tabs[category][1:], start=2)
        if row[-1] == "swedish" and row[1] == 60
    )
    swedish[tabs[category][0].index("Non-member")] = "95"
    upload = pricing.io.BytesIO(pricing.write_xlsx(tabs))
    upload.name = "prices.xlsx"
    before = sorted(ServiceVariant.objects.values_list("service__slug", "minutes", "price"))
    client.force_login(manager)

    response = client.post("/staff/manage/pricing/", {"action": "upload", "sheet": upload})

    assert response.status_code == 400
    page = response.content.decode()
    assert f"prices.xlsx:{category}!C{number}: Swedish" in page
    assert "column &quot;Non-member&quot;: expected an amount" in page
    assert sorted(ServiceVariant.objects.values_list("service__slug", "minutes", "price")) == before


def test_a_quickbooks_callback_with_a_foreign_state_connects_nothing(client, manager):
    client.force_login(manager)

    response = client.get(
        "/staff/manage/accounting/callback/", {"code": "c", "realmId": "1", "state": "forged"}
    )

    assert response.status_code == 302
    assert not QuickBooksConnection.objects.filter(realm_id="1").exists()


def test_a_google_push_notification_queues_a_pull_of_our_channel_only(client, spa, frozen_now):
    link = CalendarLink.objects.create(
        technician=spa.ana,
        kind=CredentialKind.SERVICE_ACCOUNT,
        calendar_id="ana@spa.example",
        channel_id="channel-1",
        channel_token="secret-token",
        channel_expires_at=frozen_now + timedelta(days=6),
    )
    url = "/integrations/google/notify/"

    forged = client.post(url, HTTP_X_GOOG_CHANNEL_ID="channel-1", HTTP_X_GOOG_CHANNEL_TOKEN="guess")
    ours = client.post(
        url,
        HTTP_X_GOOG_CHANNEL_ID="channel-1",
        HTTP_X_GOOG_CHANNEL_TOKEN="secret-token",
        HTTP_X_GOOG_RESOURCE_STATE="exists",
    )

    assert (forged.status_code, ours.status_code) == (404, 204)
    assert [m.payload for m in OutboxMessage.objects.filter(topic=TOPIC_PULL_CALENDAR)] == [
        {"link": link.pk}
    ]


def test_the_desk_sees_bookings_changed_in_google_and_writes_them_back(
    client, customer, manager, spa, frozen_now
):
    from conftest import local
    from coresync.bookings.services import create_booking
    from coresync.googlesync.calendar import TOPIC_PUSH_BOOKING
    from coresync.googlesync.models import BookingEvent, EventFlag

    link = CalendarLink.objects.create(
        technician=spa.ana, kind=CredentialKind.SERVICE_ACCOUNT, calendar_id="ana@spa.example"
    )
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), technician="ana"
    )
    event = BookingEvent.objects.create(
        link=link,
        booking=booking,
        event_id="abc123",
        flag=EventFlag.DELETED,
        flagged_at=frozen_now,
    )
    OutboxMessage.objects.all().delete()
    assert client.get("/desk/calendar-flags/").status_code == 302
    client.force_login(customer)
    assert client.get("/desk/calendar-flags/").status_code == 404
    client.force_login(manager)

    page = client.get("/desk/calendar-flags/").content.decode()
    assert f'data-flag="deleted_in_google" data-booking="{booking.reference}"' in page

    client.post("/desk/calendar-flags/", {"event": event.pk})
    event.refresh_from_db()
    assert event.flag == ""
    assert [m.payload for m in OutboxMessage.objects.filter(topic=TOPIC_PUSH_BOOKING)] == [
        {"booking": booking.pk}
    ]
