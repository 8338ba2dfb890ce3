"""A recorded-behaviour stand-in for Intuit's Accounting API v3 and OAuth2 token endpoint,
served through ``responses`` (python-quickbooks and intuit-oauth speak ``requests``).

It behaves as Intuit documents: ``POST /v3/company/<realm>/salesreceipt?requestid=…``
creates a receipt and answers ``{"SalesReceipt": {…, "Id", "SyncToken"}}``; the same
``requestid`` again answers the first result without creating anything; ``/query`` answers
``{"QueryResponse": {"SalesReceipt": [...]}}``. ``time_out_next(n)`` makes the next ``n``
creates reach the "server" (the receipt is made) but lose the answer (a read timeout), the
worst case of a retry.
"""

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

API = "https://sandbox-quickbooks.api.intuit.com/v3/company"
DISCOVERY = "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REALM = "9341453"


@dataclass
class FakeQuickBooks:
    mock: responses.RequestsMock
    receipts: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"SalesReceipt": [], "RefundReceipt": []}
    )
    by_request_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    timeouts_left: int = 0
    refuse_with: dict[str, Any] | None = None
    query_down: bool = False
    unauthorized_left: int = 0
    bearer_tokens: list[str] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    customer_requests: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(101))
    _tokens: Any = field(default_factory=lambda: itertools.count(1))
    _customer_ids: Any = field(default_factory=lambda: itertools.count(501))

    def install(self) -> "FakeQuickBooks":
        self.mock.add(
            responses.GET,
            DISCOVERY,
            json={
                "issuer": "https://oauth.platform.intuit.com/op/v1",
                "authorization_endpoint": "https://appcenter.intuit.com/connect/oauth2",
                "token_endpoint": TOKEN_URL,
                "revocation_endpoint": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
                "jwks_uri": "https://oauth.platform.intuit.com/op/v1/jwks",
                "userinfo_endpoint": "https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo",
            },
        )
        self.mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        for name in self.receipts:
            self.mock.add_callback(
                responses.POST,
                re.compile(rf"{re.escape(API)}/{REALM}/{name.lower()}(\?.*)?$"),
                callback=lambda request, name=name: self._save(request, name),
            )
            self.mock.add_callback(
                responses.GET,
                re.compile(rf"{re.escape(API)}/{REALM}/{name.lower()}/(\d+)(\?.*)?$"),
                callback=lambda request, name=name: self._get(request, name),
            )
        self.mock.add_callback(
            responses.POST, re.compile(rf"{re.escape(API)}/{REALM}/query(\?.*)?$"), self._query
        )
        self.mock.add_callback(
            responses.POST,
            re.compile(rf"{re.escape(API)}/{REALM}/customer(\?.*)?$"),
            callback=self._create_customer,
        )
        return self

    def time_out_next(self, count: int = 1) -> None:
        self.timeouts_left = count

    def creates(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        """Return ``(requestid, body)`` of every create/update POST of ``name``."""
        return [(rid, body) for kind, rid, body in self.requests if kind == name]

    def plant(self, name: str, **receipt: Any) -> dict[str, Any]:
        """Put a receipt in the company directly (made by hand in QuickBooks)."""
        receipt.setdefault("Id", str(next(self._ids)))
        receipt.setdefault("SyncToken", "0")
        self.receipts[name].append(receipt)
        return receipt

    # -- handlers --------------------------------------------------------------------------

    def _token(self, request):
        self.token_requests.append(parse_qs(request.body))
        number = next(self._tokens)
        return (
            200,
            {},
            json.dumps(
                {
                    "token_type": "bearer",
                    "access_token": f"access-{number}",
                    "refresh_token": f"refresh-{number}",
                    "expires_in": 3600,
                    "x_refresh_token_expires_in": 8726400,
                }
            ),
        )

    def _save(self, request, name: str):
        query = parse_qs(urlsplit(request.url).query)
        request_id = query.get("requestid", [""])[0]
        body = json.loads(request.body)
        self.bearer_tokens.append(request.headers.get("Authorization", ""))
        if self.unauthorized_left:
            self.unauthorized_left -= 1
            return 401, {}, json.dumps({"fault": {"error": [{"code": "3200"}]}})
        self.requests.append((name, request_id, body))
        if self.refuse_with is not None:
            return (
                400,
                {},
                json.dumps({"Fault": {"Error": [self.refuse_with], "type": "ValidationFault"}}),
            )
        if request_id and request_id in self.by_request_id:
            return 200, {}, json.dumps({name: self.by_request_id[request_id]})
        if body.get("Id"):
            stored = next(r for r in self.receipts[name] if r["Id"] == body["Id"])
            stored.clear()
            stored.update(body, SyncToken=str(int(body["SyncToken"]) + 1))
            receipt = stored
        else:
            receipt = {**body, "Id": str(next(self._ids)), "SyncToken": "0"}
            self.receipts[name].append(receipt)
        if request_id:
            self.by_request_id[request_id] = receipt
        if self.timeouts_left:
            self.timeouts_left -= 1
            raise requests.ReadTimeout("The read operation timed out")
        return 200, {}, json.dumps({name: receipt})

    def _get(self, request, name: str):
        receipt_id = re.search(r"/(\d+)(\?|$)", request.url).group(1)
        receipt = next(r for r in self.receipts[name] if r["Id"] == receipt_id)
        return 200, {}, json.dumps({name: receipt})

    def _create_customer(self, request):
        request_id = parse_qs(urlsplit(request.url).query).get("requestid", [""])[0]
        self.customer_requests.append(request_id)
        body = json.loads(request.body)
        existing = next(
            (c for c in self.customers if c["DisplayName"] == body["DisplayName"]), None
        )
        if existing is not None:  # QuickBooks refuses a second customer of that name
            fault = {"Message": "Duplicate Name Exists Error", "code": "6240"}
            return 400, {}, json.dumps({"Fault": {"Error": [fault], "type": "ValidationFault"}})
        customer = {**body, "Id": str(next(self._customer_ids))}
        self.customers.append(customer)
        return 200, {}, json.dumps({"Customer": customer})

    def _query(self, request):
        if self.query_down:
            return 503, {}, "Service Unavailable"
        text = request.body.decode() if isinstance(request.body, bytes) else request.body
        if "FROM Customer" in text:
            name = re.search(r"DisplayName = '(.*)'", text).group(1).replace("\\'", "'")
            rows = [c for c in self.customers if c["DisplayName"] == name]
            return 200, {}, json.dumps({"QueryResponse": {"Customer": rows} if rows else {}})
        name = re.search(r"FROM (\w+)", text).group(1)
        day = re.search(r"TxnDate = '([\d-]+)'", text).group(1)
        start = int(re.search(r"STARTPOSITION (\d+)", text).group(1))
        rows = [r for r in self.receipts[name] if r.get("TxnDate") == day][start - 1 :]
        return 200, {}, json.dumps({"QueryResponse": {name: rows}, "time": "2026-12-02"})
