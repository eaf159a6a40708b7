"""Bulk contact imports: accepted as multipart CSV or JSON base64, NotFinished for a moment, then applied."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import time
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING

from dotdigital.sandbox.data_fields import normalise_value, value_fits
from dotdigital.sandbox.http import ApiError, Request, Response, json_response, lookup
from dotdigital.sandbox.store import ImportJob, Store

if TYPE_CHECKING:
    from dotdigital.sandbox.app import SandboxApp

EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
MAX_ACTIVE_IMPORTS = 4
REPORT_KEYS = (
    "newContacts",
    "updatedContacts",
    "globallySuppressed",
    "invalidEntries",
    "duplicateEmails",
    "blocked",
    "unsubscribed",
    "hardBounced",
    "softBounced",
    "ispComplaints",
    "mailBlocked",
    "domainSuppressed",
    "pendingDoubleOptin",
    "failures",
    "suppressedContacts",
)
SUPPRESSED_REASONS = {
    "Unsubscribed": ("unsubscribed", "Unsubscribed"),
    "HardBounced": ("hardBounced", "Hard bounced"),
    "IspComplained": ("ispComplaints", "ISP complaint"),
    "MailBlocked": ("mailBlocked", "Mail blocked"),
}


def _file_from_request(request: Request) -> tuple[str, bytes]:
    content_type = request.content_type.lower()
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + request.content_type.encode("latin-1") + b"\r\n\r\n" + request.body
        )
        files = [part for part in message.iter_parts() if part.get_filename()] if message.is_multipart() else []
        if len(files) > 1:
            raise ApiError(400, "Only one file can be imported at a time. ERROR_MULTI_FILE_UPLOAD_NOT_ALLOWED")
        if not files:
            raise ApiError(400, "The upload contains no file with a file name. ERROR_IMPORT_UNSUPPORTED_FORMAT")
        return files[0].get_filename() or "", files[0].get_payload(decode=True) or b""
    body = request.json()
    name, data = lookup(body, "fileName"), lookup(body, "data")
    if not isinstance(name, str) or not isinstance(data, str):
        raise ApiError(400, "fileName and data (base64) are required. ERROR_IMPORT_UNSUPPORTED_FORMAT")
    try:
        return name, base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "data is not valid base64. ERROR_IMPORT_UNSUPPORTED_FORMAT") from exc


def start_import(app: SandboxApp, request: Request, book_id: str | None = None, merge: str | None = None) -> Response:
    if merge is not None and merge.lower() not in (
        "overwrite",
        "onlyoverwriteifnotempty",
        "onlyoverwriteifcontactdatanotpopulated",
        "0",
        "1",
        "2",
    ):
        raise ApiError(400, f"Merge option {merge!r} is not valid. ERROR_PARAMETER_INVALID")
    store = app.store
    if book_id is not None:
        with store.lock:
            number = int(book_id)
            if number not in store.books:
                raise ApiError(404, "Error: ERROR_ADDRESSBOOK_NOT_FOUND")
    file_name, data = _file_from_request(request)
    if not file_name.lower().endswith(".csv"):
        raise ApiError(400, "The sandbox imports CSV files only. ERROR_IMPORT_UNSUPPORTED_FORMAT")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "The file is not UTF-8 CSV. ERROR_IMPORT_UNSUPPORTED_FORMAT") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not any(name.lower() == "email" for name in header):
        raise ApiError(400, "The file must have a column called Email. ERROR_NO_EMAIL_COLUMN")
    rows = [{(k or "").strip(): (v or "") for k, v in row.items() if k is not None} for row in reader]
    with store.lock:
        active = sum(1 for job in store.imports.values() if job.status == "NotFinished")
        if active >= MAX_ACTIVE_IMPORTS:
            raise ApiError(400, "More than four imports are running. ERROR_IMPORT_TOOMANYACTIVEIMPORTS")
        job = ImportJob(
            id=str(uuid.uuid4()),
            book_id=int(book_id) if book_id is not None else None,
            header=header,
            rows=rows,
            due=time.monotonic() + store.config.import_delay,
        )
        store.imports[job.id] = job
    return json_response({"id": job.id, "status": "NotFinished"}, 202)


def finish_due_imports(store: Store) -> None:
    """Apply the imports whose time has come (called under the store lock before each request)."""
    now = time.monotonic()
    for job in store.imports.values():
        if job.status == "NotFinished" and job.due <= now:
            _apply(store, job)


def _apply(store: Store, job: ImportJob) -> None:
    report = dict.fromkeys(REPORT_KEYS, 0)
    email_column = next(name for name in job.header if name.lower() == "email")
    columns = {name: name.upper() for name in job.header if name.upper() in store.fields}
    seen: set[str] = set()
    if job.book_id is not None and job.book_id not in store.books:
        job.status = "Failed"
        return
    for row in job.rows:
        email = row.get(email_column, "").strip()
        key = email.lower()
        if not EMAIL_RE.match(email):
            report["invalidEntries"] += 1
            job.faults.append(("Invalid email address", row))
            continue
        if key in seen:
            report["duplicateEmails"] += 1
            job.faults.append(("Duplicate", row))
            continue
        seen.add(key)
        existing = store.contact_by_email(email)
        if existing is not None and existing.status in SUPPRESSED_REASONS:
            counter, reason = SUPPRESSED_REASONS[existing.status]
            report[counter] += 1
            report["globallySuppressed"] += 1
            report["suppressedContacts"] += 1
            job.faults.append((reason, row))
            continue
        misfit = next(
            (key for column, key in columns.items() if not value_fits(store.fields[key].type, row.get(column) or None)),
            None,
        )
        if misfit is not None:
            field = store.fields[misfit]
            report["failures"] += 1
            job.faults.append((f"Invalid {field.type} value for {field.name}", row))
            continue
        fields = {
            key: normalise_value(store.fields[key].type, row.get(column) or None) for column, key in columns.items()
        }
        opt_in = next((row[c] for c in job.header if c.lower() == "optintype" and row.get(c)), None)
        email_type = next((row[c] for c in job.header if c.lower() == "emailtype" and row.get(c)), None)
        state, created = store.upsert(email, fields, _canonical(opt_in), _canonical(email_type))
        report["newContacts" if created else "updatedContacts"] += 1
        if job.book_id is not None:
            store.add_to_book(job.book_id, state.id)
    job.report = report
    job.status = "Finished"
    store.touch()


def _canonical(value: str | None) -> str | None:
    if not value:
        return None
    for option in ("Unknown", "Single", "Double", "VerifiedDouble", "PlainText", "Html"):
        if option.lower() == value.strip().lower():
            return option
    return None


def _job(store: Store, import_id: str) -> ImportJob:
    job = store.imports.get(import_id.strip("{}").lower())
    if job is None:
        raise ApiError(404, "Error: ERROR_IMPORT_NOT_FOUND")
    return job


def import_status(app: SandboxApp, request: Request, import_id: str) -> Response:
    with app.store.lock:
        job = _job(app.store, import_id)
        return json_response({"id": job.id, "status": job.status})


def import_report(app: SandboxApp, request: Request, import_id: str) -> Response:
    with app.store.lock:
        job = _job(app.store, import_id)
        if job.status != "Finished":
            raise ApiError(404, "Import is not processed yet or completed with error. ERROR_IMPORT_REPORT_NOT_FOUND")
        return json_response(job.report)


def import_faults(app: SandboxApp, request: Request, import_id: str) -> Response:
    with app.store.lock:
        job = _job(app.store, import_id)
        if job.status != "Finished":
            raise ApiError(404, "Import is not processed yet or completed with error. ERROR_IMPORT_REPORT_NOT_FOUND")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["Reason", *(name.lower() for name in job.header)])
        for reason, row in job.faults:
            writer.writerow([reason, *(row.get(name, "") for name in job.header)])
    return Response(200, b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"), "text/csv; charset=utf-8")
