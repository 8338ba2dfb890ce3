"""QuickBooks Online through python-quickbooks (Intuit Accounting API v3).

A sales receipt (``SalesReceipt``) or refund receipt (``RefundReceipt``) per document, one
``SalesItemLineDetail`` line per document line, sold as the item mapped to the line's
category (the item carries the income account: :class:`IncomeAccountMapping`), with the
tax as ``TxnTaxDetail.TotalTax``; the CoreSync entity is kept in ``PrivateNote`` and
``DocNumber``. Every create is sent with Intuit's ``requestid``: Intuit answers a repeated
request id with the first answer (Intuit docs, "Idempotency"), so a send retried after a
timeout never makes a second receipt.

Errors: a timeout, a connection error, a 5xx, a 401 (the token is refreshed next time) or a
429 are transient; a validation fault (codes 2000–4999), an unsupported operation or an
object not found are permanent.
"""

import hashlib
import json
import logging
import re
from datetime import date
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from quickbooks import QuickBooks
from quickbooks import exceptions as qb_exceptions

from coresync.accounting.connection import access_token, forget_access_token
from coresync.accounting.errors import AccountingError
from coresync.accounting.models import IncomeAccountMapping, QuickBooksCustomer
from coresync.accounting.providers.base import AccountingProvider, RemoteReceipt

logger = logging.getLogger(__name__)

OBJECT_NAMES = {"sales": "SalesReceipt", "refund": "RefundReceipt"}
ENTITY_IN_MEMO = re.compile(r"coresync:((?:payment|refund|order):\d+)")


class _TimedQuickBooks(QuickBooks):
    """python-quickbooks sends without a timeout; every call here has one."""

    def process_request(self, request_type, url, headers="", params="", data=""):
        if self.session is None:
            raise qb_exceptions.QuickbooksException("No session manager")
        headers.update({"Authorization": "Bearer " + self.session.access_token})
        return self.session.request(
            request_type,
            url,
            headers=headers,
            params=params,
            data=data,
            timeout=settings.QUICKBOOKS_TIMEOUT_SECONDS,
        )


class _Tokens:
    """The part of an ``AuthClient`` python-quickbooks reads, filled from our own tokens
    (refreshing is :func:`coresync.accounting.connection.access_token`'s job, under a lock)."""

    def __init__(self, token: str) -> None:
        self.client_id = settings.QUICKBOOKS_CLIENT_ID
        self.client_secret = settings.QUICKBOOKS_CLIENT_SECRET
        self.access_token = token
        self.refresh_token = None
        self.environment = settings.QUICKBOOKS_ENVIRONMENT


def _client() -> QuickBooks:
    token = access_token()
    return _TimedQuickBooks(
        auth_client=_Tokens(token.token),
        company_id=token.realm_id,
        minorversion=settings.QUICKBOOKS_MINOR_VERSION,
    )


def _call(function, *args, **kwargs) -> Any:
    """Run a python-quickbooks call, turning its failures into :class:`AccountingError`."""
    try:
        return function(*args, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as error:
        raise AccountingError(f"QuickBooks did not answer: {error}", code="timeout") from error
    except qb_exceptions.AuthorizationException as error:
        forget_access_token()  # revoked or expired early: the next try refreshes it
        raise AccountingError(f"QuickBooks authorization: {error.message}", code="auth") from error
    except (
        qb_exceptions.ValidationException,
        qb_exceptions.UnsupportedException,
        qb_exceptions.ObjectNotFoundException,
    ) as error:
        raise AccountingError(
            f"QuickBooks refused: {error.message} {error.detail}".strip(),
            permanent=True,
            code=str(error.error_code),
        ) from error
    except qb_exceptions.QuickbooksException as error:
        raise AccountingError(f"QuickBooks error: {error.message}", code="server") from error


def _mappings() -> dict[str, IncomeAccountMapping]:
    return {row.category: row for row in IncomeAccountMapping.objects.all()}


def _item_ref(category: str, mappings: dict[str, IncomeAccountMapping]) -> dict[str, str]:
    row = mappings.get(category) or mappings.get(category.split(":", 1)[0])
    row = row or mappings.get("default")
    if row is None or not row.item_id:
        raise AccountingError(
            f'No QuickBooks item is mapped for "{category}" (see the account mapping page).',
            permanent=True,
            code="unmapped",
        )
    return {"value": row.item_id}


def display_name(customer: dict[str, str]) -> str:
    """Return the QuickBooks ``DisplayName`` of a CoreSync customer (unique per email; at
    most 500 characters)."""
    return f"{customer['name']} ({customer['email']})"[:500]


def _quoted(text: str) -> str:
    """Quote ``text`` for Intuit's query language (a backslash before each quote)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _customer_ref(client: QuickBooks, customer: dict[str, str]) -> str:
    """Return the QuickBooks Customer id of ``customer`` (``{"name", "email"}``): the one
    remembered, else the one of that display name, else a new one (request id from the
    email, so a retried create makes one customer)."""
    known = QuickBooksCustomer.objects.filter(email=customer["email"]).first()
    if known is not None:
        return known.quickbooks_id
    name = display_name(customer)
    # Intuit's query language, the value quoted by _quoted (not SQL).
    query = "SELECT Id FROM Customer WHERE DisplayName = " + _quoted(name)  # noqa: S608
    answer = _call(client.query, query)
    rows = answer.get("QueryResponse", {}).get("Customer", [])
    if rows:
        customer_id = str(rows[0]["Id"])
    else:
        body = {"DisplayName": name, "PrimaryEmailAddr": {"Address": customer["email"]}}
        digest = hashlib.sha256(customer["email"].lower().encode()).hexdigest()[:24]
        created = _call(
            client.create_object,
            "Customer",
            json.dumps(body),
            request_id=f"coresync-customer-{digest}",
        )
        customer_id = str(created["Customer"]["Id"])
    QuickBooksCustomer.objects.get_or_create(
        email=customer["email"], defaults={"quickbooks_id": customer_id}
    )
    return customer_id


def receipt_body(document: dict[str, Any], mappings: dict[str, IncomeAccountMapping]) -> dict:
    """Return the JSON body of the Intuit ``SalesReceipt``/``RefundReceipt`` for ``document``.

    Raises:
        AccountingError: a line's category has no mapped item (permanent).
    """
    lines = [
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": line["amount"],
            "Description": line["description"],
            "SalesItemLineDetail": {
                "ItemRef": _item_ref(line["category"], mappings),
                "Qty": line["quantity"],
                "UnitPrice": line["unit_price"],
                "TaxCodeRef": {"value": "TAX" if line["taxable"] else "NON"},
            },
        }
        for line in document["lines"]
    ]
    body: dict[str, Any] = {
        "DocNumber": document["doc_number"],
        "TxnDate": document["txn_date"],
        "PrivateNote": document["memo"],
        "Line": lines,
        "TxnTaxDetail": {"TotalTax": document["tax"]},
        "TotalAmt": document["total"],
    }
    if document.get("customer"):
        body["BillEmail"] = {"Address": document["customer"]["email"]}
    if document["kind"] == "refund":
        default = mappings.get("refund_account") or mappings.get("default")
        if default is not None:
            body["DepositToAccountRef"] = {"value": default.account_id}
    return body


class QuickBooksProvider(AccountingProvider):
    name = "quickbooks"

    def send_receipt(
        self, document: dict[str, Any], *, request_id: str, existing_id: str = ""
    ) -> str:
        object_name = OBJECT_NAMES[document["kind"]]
        body = receipt_body(document, _mappings())
        client = _client()
        if document.get("customer"):
            body["CustomerRef"] = {"value": _customer_ref(client, document["customer"])}
        if existing_id:
            # A changed document replaces the receipt: Intuit needs its current SyncToken.
            current = _call(client.get_single_object, object_name, existing_id)
            body.update(Id=existing_id, SyncToken=current[object_name]["SyncToken"], sparse=False)
            answer = _call(
                client.update_object, object_name, json.dumps(body), request_id=request_id
            )
        else:
            answer = _call(
                client.create_object, object_name, json.dumps(body), request_id=request_id
            )
        return str(answer[object_name]["Id"])

    def receipts_for_day(self, day: date) -> list[RemoteReceipt]:
        client = _client()
        receipts = []
        for kind, object_name in OBJECT_NAMES.items():
            start = 0
            while True:
                # Intuit's query language; the only value is a date we format ourselves.
                query = " ".join(
                    (
                        f"SELECT * FROM {object_name}",  # noqa: S608 - Intuit query, a date we format
                        f"WHERE TxnDate = '{day.isoformat()}'",
                        f"STARTPOSITION {start + 1} MAXRESULTS 1000",
                    )
                )
                answer = _call(client.query, query)
                rows = answer.get("QueryResponse", {}).get(object_name, [])
                for row in rows:
                    match = ENTITY_IN_MEMO.search(row.get("PrivateNote") or "")
                    receipts.append(
                        RemoteReceipt(
                            id=str(row["Id"]),
                            entity=match.group(1) if match else "",
                            kind=kind,
                            total=Decimal(str(row.get("TotalAmt", "0"))).quantize(Decimal("0.01")),
                        )
                    )
                if len(rows) < 1000:
                    break
                start += 1000
        return receipts
