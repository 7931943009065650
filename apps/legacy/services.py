"""Import the Node.js backend's data: contacts, registrations (as enrolment requests, with legacy
payments for paid ones) and its host account (as a founder keeping the bcrypt hash).

Idempotent by key: an imported row keeps its old id as `legacy_id` with `source="imported"`,
unique per table, and the host account is matched by e-mail, so running the import again skips
what it brought over before. Each table imports in one transaction; a bad row is reported with
its id and reason and skipped, never fatal. Nothing here sends an e-mail or a notification: the
rows are written directly, not through the submission services that would.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.contacts.models import Contact, ContactSource, ContactStatus
from apps.core.audit import audit_record
from apps.courses.enrollment_requests import course_match_title
from apps.courses.models import CourseLevel, EnrollmentRequest, EnrollmentRequestSource
from apps.payments.services import legacy_payment_record
from apps.users.models import User, UserType, normalize_email

from .sources import LegacySource

logger = logging.getLogger(__name__)

BCRYPT_HASH = re.compile(r"^\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}$")
_EXPERIENCE = re.compile(r"experience:\s*([^.\n]*)", re.IGNORECASE)


class RowError(Exception):
    """Why one row can't be imported."""


@dataclass
class TableReport:
    table: str
    read: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "created": self.created,
            "skipped": self.skipped,
            "errors": len(self.errors),
            "error_rows": [{"id": row_id, "reason": reason} for row_id, reason in self.errors],
        }


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    tables: list[TableReport] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        return {
            "read": sum(t.read for t in self.tables),
            "created": sum(t.created for t in self.tables),
            "skipped": sum(t.skipped for t in self.tables),
            "errors": sum(len(t.errors) for t in self.tables),
        }

    def table(self, name: str) -> TableReport:
        return next(t for t in self.tables if t.table == name)


# --------------------------------------------------------------------------------------------
# Cleaning values
# --------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value).strip()


def clean_email(value: Any) -> str:
    email = normalize_email(_text(value))
    if not email:
        raise RowError("no e-mail address")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise RowError(f"invalid e-mail address {email!r}") from exc
    return email


def clean_datetime(value: Any, *, tz: tzinfo = UTC) -> datetime:
    """Dates as the old backend stored them: SQLite's CURRENT_TIMESTAMP text ("2025-11-02
    10:15:30", UTC), ISO strings from JavaScript ("...T10:15:30.000Z"), MySQL DATETIMEs, or epoch
    numbers. Naive values are read in `tz`. A date in the future or before 2000 is broken."""
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 100_000_000_000 else value  # Date.now() is milliseconds
        try:
            parsed = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            parsed = None
    else:
        text = _text(value)
        if not text:
            raise RowError("no date (created_at is empty)")
        iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        try:
            parsed = parse_datetime(iso)
            if parsed is None:
                day = parse_date(iso)
                parsed = datetime(day.year, day.month, day.day) if day else None
        except ValueError:
            parsed = None
    if parsed is None:
        raise RowError(f"broken date {_text(value)!r}")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=tz)
    if parsed.year < 2000 or parsed > timezone.now() + timedelta(days=1):
        raise RowError(f"broken date {_text(value)!r} (out of range)")
    return parsed


def clean_level(value: Any) -> str:
    level = _text(value).lower()
    if level and level not in CourseLevel.values:
        raise RowError(f"unknown level {_text(value)!r} (expected {', '.join(CourseLevel.values)})")
    return level


def clean_price(value: Any) -> int:
    if value is None or _text(value) == "":
        return 0
    try:
        price = int(value) if isinstance(value, int) else int(_text(value).replace(",", ""))
    except ValueError as exc:
        raise RowError(f"price {_text(value)!r} is not a whole number of rupees") from exc
    if price < 0:
        raise RowError(f"negative price {price}")
    return price


def clean_flag(value: Any) -> bool:
    """SQLite/MySQL integers 0/1 (also "1", "true"); a missing column is False."""
    text = _text(value).lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes") or (text.lstrip("-").isdigit() and int(text) != 0):
        return True
    raise RowError(f"paid flag {_text(value)!r} is not 0 or 1")


def _legacy_id(row: dict[str, Any]) -> str:
    legacy_id = _text(row.get("id"))
    if not legacy_id:
        raise RowError("no id")
    return legacy_id


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first[:150], last.strip()[:150]


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _import_rows(*, source: LegacySource, report: TableReport, existing: set[str], create, dry_run: bool) -> None:
    """One transaction for the table; a savepoint per row, so a row the database refuses is
    reported and skipped like any other bad row. A dry run rolls everything back at the end."""
    with transaction.atomic():
        for row in source.rows(report.table):
            report.read += 1
            row_id = _text(row.get("id")) or f"row {report.read}"
            try:
                legacy_id = _legacy_id(row)
                if legacy_id in existing:
                    report.skipped += 1
                    continue
                with transaction.atomic():
                    create(row, legacy_id)
                existing.add(legacy_id)
                report.created += 1
            except RowError as exc:
                report.errors.append((row_id, str(exc)))
            except DatabaseError as exc:  # a row the database refused (too long for MySQL's column...)
                logger.warning("Legacy %s row %s not imported: %s", report.table, row_id, exc)
                report.errors.append((row_id, f"not accepted by the database: {exc}"))
        if dry_run:
            transaction.set_rollback(True)


def import_contacts(*, source: LegacySource, dry_run: bool, open_contacts: bool, tz: tzinfo) -> TableReport:
    report = TableReport("contacts")
    if not source.has_table("contacts"):
        report.notes.append("no contacts table in the source")
        return report
    existing = set(
        Contact.objects.filter(source=ContactSource.IMPORTED).exclude(legacy_id="").values_list("legacy_id", flat=True)
    )
    status = ContactStatus.NEW if open_contacts else ContactStatus.CLOSED

    def create(row: dict[str, Any], legacy_id: str) -> None:
        email = clean_email(row.get("email"))
        created_at = clean_datetime(row.get("created_at"), tz=tz)
        contact = Contact.objects.create(
            name=_text(row.get("name"))[:100],
            email=email,
            phone=_text(row.get("phone"))[:32],
            subject=_text(row.get("subject"))[:200],
            message=_text(row.get("message")),
            status=status,
            source=ContactSource.IMPORTED,
            legacy_id=legacy_id,
        )
        # created_at is auto_now_add: set the original date afterwards.
        Contact.objects.filter(pk=contact.pk).update(created_at=created_at, updated_at=created_at)

    _import_rows(source=source, report=report, existing=existing, create=create, dry_run=dry_run)
    return report


def import_registrations(*, source: LegacySource, dry_run: bool, tz: tzinfo) -> TableReport:
    report = TableReport("registrations")
    if not source.has_table("registrations"):
        report.notes.append("no registrations table in the source")
        return report
    existing = set(
        EnrollmentRequest.objects.filter(source=EnrollmentRequestSource.IMPORTED)
        .exclude(legacy_id="")
        .values_list("legacy_id", flat=True)
    )
    courses: dict[str, Any] = {}
    counts = {"paid": 0, "payments": 0, "matched": 0, "paid_column": None}

    def create(row: dict[str, Any], legacy_id: str) -> None:
        if counts["paid_column"] is None:
            counts["paid_column"] = "paid" in row
        email = clean_email(row.get("email"))
        created_at = clean_datetime(row.get("created_at"), tz=tz)
        level = clean_level(row.get("level"))
        price = clean_price(row.get("price"))
        title = _text(row.get("course"))[:200]
        if not title:
            raise RowError("no course")
        key = title.lower()
        if key not in courses:
            courses[key] = course_match_title(title=title)
        notes = _text(row.get("notes"))
        experience = _EXPERIENCE.search(notes)
        paid = clean_flag(row.get("paid"))
        first_name, last_name = _split_name(_text(row.get("name")))
        request = EnrollmentRequest.objects.create(
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=_text(row.get("phone"))[:32],
            experience=experience.group(1).strip()[:200] if experience else "",
            course=courses[key],
            course_title=title,
            course_price=price,
            level=level,
            notes=notes,
            paid=paid,
            source=EnrollmentRequestSource.IMPORTED,
            legacy_id=legacy_id,
            created_at=created_at,
        )
        counts["matched"] += courses[key] is not None
        if paid:
            counts["paid"] += 1
            if legacy_payment_record(enrollment_request=request, amount_rupees=price, paid_at=created_at):
                counts["payments"] += 1

    _import_rows(source=source, report=report, existing=existing, create=create, dry_run=dry_run)
    if counts["paid_column"] is False:
        report.notes.append("no paid column (an older file): every registration imported as unpaid")
    report.notes.append(
        f"{counts['matched']} linked to a catalogue course by title; {counts['paid']} paid, "
        f"{counts['payments']} legacy payment(s) recorded"
    )
    return report


def import_host_account(*, email: str, password_hash: str, username: str, dry_run: bool) -> TableReport:
    """The old site's one login becomes a founder keeping its bcrypt hash; the first login with
    the old password re-hashes it with Argon2id (PASSWORD_HASHERS)."""
    report = TableReport("host account", read=1)
    row_id = username or email or "host"
    try:
        email = clean_email(email)
        password_hash = (password_hash or "").strip()
        if not BCRYPT_HASH.match(password_hash):
            raise RowError("HOST_PASSWORD_HASH is not a bcrypt hash ($2a$10$... , 60 characters)")
    except RowError as exc:
        report.errors.append((row_id, str(exc)))
        return report
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            report.skipped += 1
            report.notes.append(f"{email} has an account already: left as it is")
            return report
        user = User(email=email, user_type=UserType.FOUNDER, email_verified=True, password=f"bcrypt${password_hash}")
        user.save()
        report.created += 1
        if dry_run:
            transaction.set_rollback(True)
    return report


def legacy_import(
    *,
    source: LegacySource,
    dry_run: bool = False,
    open_contacts: bool = False,
    host_email: str = "",
    host_password_hash: str = "",
    host_username: str = "",
    tz: tzinfo = UTC,
) -> ImportReport:
    report = ImportReport(source=source.description, dry_run=dry_run)
    report.tables.append(import_contacts(source=source, dry_run=dry_run, open_contacts=open_contacts, tz=tz))
    report.tables.append(import_registrations(source=source, dry_run=dry_run, tz=tz))
    if host_email or host_password_hash:
        report.tables.append(
            import_host_account(
                email=host_email, password_hash=host_password_hash, username=host_username, dry_run=dry_run
            )
        )
    if not dry_run:
        audit_record(
            action="legacy.imported",
            target=None,
            details={
                "source": report.source,
                "open_contacts": open_contacts,
                "totals": report.totals(),
                "tables": {t.table: t.as_dict() for t in report.tables},
            },
        )
    logger.info("Legacy import from %s: %s (dry run: %s)", report.source, report.totals(), dry_run)
    return report
