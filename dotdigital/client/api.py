"""The Dotdigital v2 API client: one method per call the product needs, with domain names."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import requests
from django.views.decorators.debug import sensitive_variables

from dotdigital.client.hosts import check_endpoint_allowed
from dotdigital.client.transport import Transport, logger
from dotdigital.exceptions import MalformedResponseError

PAGE_SIZE = 1000  # Dotdigital's maximum `select`
DEFAULT_API_URL = "https://r1-api.dotdigital.com"

Page = list[dict[str, Any]]


@dataclass(frozen=True)
class AccountInfo:
    """What `GET /v2/account-info` says about the account of the API user."""

    id: int
    name: str
    main_email: str
    api_endpoint: str
    properties: dict[str, str] = field(default_factory=dict)


def _get_ci(mapping: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A key of a JSON object, read case-insensitively (Dotdigital's casing is not always consistent)."""
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == lowered:
            return value
    return default


def parse_account_info(body: Any, fallback_endpoint: str) -> AccountInfo:
    """An AccountInfo from the JSON of account-info; lenient about casing and missing properties.

    `api_endpoint` is the ApiEndpoint exactly as Dotdigital sent it (or `fallback_endpoint` when it sent none):
    the client checks it before using it. Anything else than what is due raises MalformedResponseError.
    """
    try:
        return _parse_account_info(body, fallback_endpoint)
    except MalformedResponseError:
        raise
    except Exception as exc:  # noqa: BLE001 - a remote answer must never raise an untyped error (a 500 on a page)
        raise MalformedResponseError(
            f"Dotdigital's account-info answer could not be read ({type(exc).__name__})."
        ) from exc


def _parse_account_info(body: Any, fallback_endpoint: str) -> AccountInfo:
    if not isinstance(body, dict):
        raise MalformedResponseError("Dotdigital's account-info answer is not a JSON object.")
    items = _get_ci(body, "properties")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise MalformedResponseError("Dotdigital's account-info answer has properties that are not a JSON list.")
    properties: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict) and _get_ci(item, "name"):
            value = _get_ci(item, "value")
            properties[str(_get_ci(item, "name"))] = "" if value is None else str(value)
    try:
        account_id = int(_get_ci(body, "id", 0) or 0)
    except (TypeError, ValueError, OverflowError) as exc:
        raise MalformedResponseError("Dotdigital's account-info answer has a non-numeric id.") from exc
    endpoint = properties.get("ApiEndpoint") or ""
    return AccountInfo(
        id=account_id,
        name=properties.get("Name", ""),
        main_email=properties.get("MainEmail", ""),
        api_endpoint=endpoint if endpoint.strip() else fallback_endpoint,
        properties=properties,
    )


def format_since(since: datetime | date | str) -> str:
    """A date for a `.../since/{date}` path: UTC ISO-8601 with a Z (naive datetimes are taken as UTC)."""
    if isinstance(since, str):
        return since
    if isinstance(since, datetime):
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return since.isoformat()


def rows_to_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """CSV bytes (UTF-8) for an import: the union of the rows' keys as the header, Email first."""
    rows = list(rows)
    header: list[str] = []
    for row in rows:
        for key in row:
            if key not in header:
                header.append(key)
    header.sort(key=lambda name: name.lower() != "email")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return buffer.getvalue().encode("utf-8")


class DotdigitalClient:
    """A client for one Dotdigital API user.

    Region discovery: `account_info()` calls `GET /v2/account-info` on `api_url` and switches every other call
    to the account's `ApiEndpoint`, which must be a bare address on an allow-listed host (see
    `check_endpoint_allowed`): a Dotdigital domain over HTTPS, or exactly the scheme, host and port of `api_url`
    or of one of `extra_allowed_urls`. Every request is checked again against the same allow-list just before it
    is sent (`check_host_allowed`), so no URL built later can reach another host.
    Paged calls yield one page (a list of dicts, camelCase as Dotdigital sends them) at a time.
    """

    @sensitive_variables()
    def __init__(
        self,
        username: str,
        password: str,
        *,
        api_url: str | None = None,
        api_endpoint: str | None = None,
        timeout: tuple[float, float] = (10, 121),
        max_retries: int = 3,
        session: requests.Session | None = None,
        backoff_factor: float = 0.5,
        retry_time_budget: float = 60.0,
        rate_limit_max_wait: float = 5.0,
        page_size: int = PAGE_SIZE,
        extra_allowed_urls: Sequence[str] = (),
    ) -> None:
        if api_url is None:
            from django.conf import settings

            api_url = getattr(settings, "DOTDIGITAL_API_URL", None) or DEFAULT_API_URL
        self.api_url = api_url.rstrip("/")
        # The api_url's own scheme, host and port are allowed for the ApiEndpoint, plus the extras given (URLs,
        # exact scheme, host and port: a second sandbox playing another region in tests, for example).
        self._extra_hosts = (self.api_url, *extra_allowed_urls)
        self._api_endpoint: str | None = None
        if api_endpoint:
            self._api_endpoint = self._checked_endpoint(api_endpoint)
        self.page_size = page_size
        self._transport = Transport(
            username,
            password,
            timeout=timeout,
            max_retries=max_retries,
            session=session,
            backoff_factor=backoff_factor,
            retry_time_budget=retry_time_budget,
            rate_limit_max_wait=rate_limit_max_wait,
            allowed_urls=self._extra_hosts,
        )

    # -- plumbing ---------------------------------------------------------------------------------------------

    @property
    def call_count(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._transport.call_count

    @property
    def session(self) -> requests.Session:
        return self._transport.session

    def _checked_endpoint(self, endpoint: str) -> str:
        return check_endpoint_allowed(endpoint, extra_hosts=self._extra_hosts)

    @property
    def api_endpoint(self) -> str:
        """The account's regional endpoint, discovered with account-info on first use."""
        if self._api_endpoint is None:
            self.account_info()
        assert self._api_endpoint is not None
        return self._api_endpoint

    def _url(self, path: str) -> str:
        return f"{self.api_endpoint}{path}"

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._transport.json("GET", self._url(path), params=params)

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._transport.json(method, self._url(path), **kwargs)

    def _object(self, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise MalformedResponseError(f"Dotdigital's answer for {what} is not a JSON object.")
        return value

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Page]:
        """Yield the pages of a `select`/`skip` listing; stop on a short page."""
        skip = 0
        while True:
            page = self._get(path, {**(params or {}), "select": self.page_size, "skip": skip})
            if not isinstance(page, list):
                raise MalformedResponseError(f"Dotdigital's answer for {path} is not a JSON list.")
            if page:
                yield page
            if len(page) < self.page_size:
                return
            skip += len(page)

    @staticmethod
    def _full(with_full_data: bool) -> dict[str, str]:
        return {"withFullData": "true" if with_full_data else "false"}

    # -- account ----------------------------------------------------------------------------------------------

    def account_info(self) -> AccountInfo:
        """`GET /v2/account-info` on `api_url`; also switches the client to the account's ApiEndpoint."""
        body = self._transport.json("GET", f"{self.api_url}/v2/account-info")
        info = parse_account_info(body, fallback_endpoint=self.api_url)
        self._api_endpoint = self._checked_endpoint(info.api_endpoint)
        logger.debug("Dotdigital account %s uses endpoint %s", info.id, self._api_endpoint)
        return replace(info, api_endpoint=self._api_endpoint)

    # -- address books ----------------------------------------------------------------------------------------

    def address_books(self) -> Iterator[Page]:
        return self._pages("/v2/address-books")

    def get_address_book(self, book_id: int) -> dict[str, Any]:
        return self._object(self._get(f"/v2/address-books/{int(book_id)}"), "an address book")

    def create_address_book(self, name: str, visibility: str = "Private") -> dict[str, Any]:
        body = self._send("POST", "/v2/address-books", json={"name": name, "visibility": visibility})
        return self._object(body, "a new address book")

    def delete_address_book(self, book_id: int) -> None:
        self._send("DELETE", f"/v2/address-books/{int(book_id)}")

    def address_book_contacts(self, book_id: int, with_full_data: bool = True) -> Iterator[Page]:
        return self._pages(f"/v2/address-books/{int(book_id)}/contacts", self._full(with_full_data))

    def address_book_contacts_modified_since(
        self, book_id: int, since: datetime | date | str, with_full_data: bool = True
    ) -> Iterator[Page]:
        path = f"/v2/address-books/{int(book_id)}/contacts/modified-since/{format_since(since)}"
        return self._pages(path, self._full(with_full_data))

    def address_book_unsubscribed_since(self, book_id: int, since: datetime | date | str) -> Iterator[Page]:
        return self._pages(f"/v2/address-books/{int(book_id)}/contacts/unsubscribed-since/{format_since(since)}")

    def remove_contacts(self, book_id: int, contact_ids: Sequence[int]) -> dict[str, Any]:
        """Remove contacts from an address book in bulk (runs in the background on Dotdigital's side)."""
        ids = [int(contact_id) for contact_id in contact_ids]
        body = self._send("POST", f"/v2/address-books/{int(book_id)}/contacts/delete", json=ids)
        return self._object(body, "a contact removal")

    def removal_status(self, deletion_id: str) -> dict[str, Any]:
        return self._object(self._get(f"/v2/contacts/deletion/{quote(str(deletion_id), safe='')}"), "a removal")

    def address_book_campaigns(self, book_id: int) -> Iterator[Page]:
        """The campaigns sent to an address book (list form: no HTML or plain-text content)."""
        return self._pages(f"/v2/address-books/{int(book_id)}/campaigns")

    # -- contacts ---------------------------------------------------------------------------------------------

    def contacts(self, with_full_data: bool = True) -> Iterator[Page]:
        return self._pages("/v2/contacts", self._full(with_full_data))

    def get_contact(self, id_or_email: int | str) -> dict[str, Any]:
        return self._object(self._get(f"/v2/contacts/{quote(str(id_or_email), safe='@+')}"), "a contact")

    def contacts_modified_since(self, since: datetime | date | str, with_full_data: bool = True) -> Iterator[Page]:
        return self._pages(f"/v2/contacts/modified-since/{format_since(since)}", self._full(with_full_data))

    def contacts_created_since(self, since: datetime | date | str, with_full_data: bool = True) -> Iterator[Page]:
        return self._pages(f"/v2/contacts/created-since/{format_since(since)}", self._full(with_full_data))

    def contacts_unsubscribed_since(self, since: datetime | date | str) -> Iterator[Page]:
        return self._pages(f"/v2/contacts/unsubscribed-since/{format_since(since)}")

    def contacts_suppressed_since(self, since: datetime | date | str) -> Iterator[Page]:
        return self._pages(f"/v2/contacts/suppressed-since/{format_since(since)}")

    # -- campaigns --------------------------------------------------------------------------------------------

    def campaigns(self) -> Iterator[Page]:
        return self._pages("/v2/campaigns")

    def get_campaign(self, campaign_id: int) -> dict[str, Any]:
        return self._object(self._get(f"/v2/campaigns/{int(campaign_id)}"), "a campaign")

    def campaign_summary(self, campaign_id: int) -> dict[str, Any]:
        return self._object(self._get(f"/v2/campaigns/{int(campaign_id)}/summary"), "a campaign summary")

    def campaign_activities(self, campaign_id: int) -> Iterator[Page]:
        return self._pages(f"/v2/campaigns/{int(campaign_id)}/activities")

    def campaign_activities_since(self, campaign_id: int, since: datetime | date | str) -> Iterator[Page]:
        return self._pages(f"/v2/campaigns/{int(campaign_id)}/activities/since-date/{format_since(since)}")

    def campaign_opens(self, campaign_id: int) -> Iterator[Page]:
        """Every open of a campaign, one row per open (`contactId`, `email`, `dateOpened`, ...)."""
        return self._pages(f"/v2/campaigns/{int(campaign_id)}/opens")

    def campaign_opens_since(self, campaign_id: int, since: datetime | date | str) -> Iterator[Page]:
        """The opens of a campaign dated strictly after `since`."""
        return self._pages(f"/v2/campaigns/{int(campaign_id)}/opens/since-date/{format_since(since)}")

    def campaign_clicks(self, campaign_id: int) -> Iterator[Page]:
        """Every click of a campaign, one row per click (`contactId`, `email`, `url`, `dateClicked`, ...)."""
        return self._pages(f"/v2/campaigns/{int(campaign_id)}/clicks")

    def campaign_clicks_since(self, campaign_id: int, since: datetime | date | str) -> Iterator[Page]:
        """The clicks of a campaign dated strictly after `since`."""
        return self._pages(f"/v2/campaigns/{int(campaign_id)}/clicks/since-date/{format_since(since)}")

    # -- data fields ------------------------------------------------------------------------------------------

    def data_fields(self) -> list[dict[str, Any]]:
        body = self._get("/v2/data-fields")
        if not isinstance(body, list):
            raise MalformedResponseError("Dotdigital's answer for the data fields is not a JSON list.")
        return body

    def create_data_field(
        self, name: str, type: str = "String", visibility: str = "Private", default: Any = None
    ) -> dict[str, Any]:
        payload = {"name": name, "type": type, "visibility": visibility, "defaultValue": default}
        body = self._send("POST", "/v2/data-fields", json=payload)
        # The official description declares no body for this 201; the docs show the field. Accept both.
        return body if isinstance(body, dict) else payload

    def delete_data_field(self, name: str) -> dict[str, Any]:
        body = self._send("DELETE", f"/v2/data-fields/{quote(name, safe='')}")
        return body if isinstance(body, dict) else {"dependencies": None, "result": True}

    # -- bulk import ------------------------------------------------------------------------------------------

    def import_contacts(
        self, book_id: int | None, contacts: bytes | Iterable[Mapping[str, Any]], file_name: str = "contacts.csv"
    ) -> dict[str, Any]:
        """Start a bulk import of a CSV (bytes, or rows as dicts with an `Email` key) into an address book
        (or into "All contacts" when `book_id` is None). Returns `{"id": <guid>, "status": "NotFinished"}`."""
        data = contacts if isinstance(contacts, bytes | bytearray) else rows_to_csv(contacts)
        path = "/v2/contacts/import" if book_id is None else f"/v2/address-books/{int(book_id)}/contacts/import"
        body = self._send("POST", path, files={"file": (file_name, bytes(data), "text/csv")})
        return self._object(body, "an import")

    def import_status(self, import_id: str) -> dict[str, Any]:
        return self._object(self._get(f"/v2/contacts/import/{quote(str(import_id), safe='')}"), "an import")

    def import_report(self, import_id: str) -> dict[str, Any]:
        body = self._get(f"/v2/contacts/import/{quote(str(import_id), safe='')}/report")
        return self._object(body, "an import report")

    def import_report_faults(self, import_id: str) -> str:
        """The faults of an import as CSV text (`Reason,email,...`), without a byte-order mark."""
        url = self._url(f"/v2/contacts/import/{quote(str(import_id), safe='')}/report-faults")
        response = self._transport.request("GET", url, headers={"Accept": "text/csv, text/plain, */*"})
        return response.content.decode("utf-8-sig", errors="replace")
