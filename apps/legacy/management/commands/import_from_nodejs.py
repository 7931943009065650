"""python manage.py import_from_nodejs <sqlite file | mysql://...> [--dry-run] [--open-contacts]
[--host-email founder@example.com]  (see MIGRATION_GUIDE.md)"""

import os
import zoneinfo

from django.core.management.base import BaseCommand, CommandError

from apps.legacy.services import legacy_import
from apps.legacy.sources import SourceError, open_source


class Command(BaseCommand):
    help = "Import contacts, registrations and the host account from the Node.js backend's database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", help="The SQLite file (data/contacts.db) or mysql://user:pass@host:3306/db")
        parser.add_argument("--dry-run", action="store_true", help="Read and check everything, write nothing.")
        parser.add_argument(
            "--open-contacts", action="store_true", help="Import contacts as new (default: closed, as handled)."
        )
        parser.add_argument("--host-email", default="", help="E-mail address of the founder account to create.")
        parser.add_argument(
            "--host-password-hash",
            default=None,
            help="The host's bcrypt hash (default: the HOST_PASSWORD_HASH environment variable).",
        )
        parser.add_argument(
            "--timezone",
            default="UTC",
            help="Time zone of dates stored without one (SQLite's CURRENT_TIMESTAMP is UTC; default UTC).",
        )

    def handle(self, *args, **options) -> None:
        try:
            tz = zoneinfo.ZoneInfo(options["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise CommandError(f"Unknown time zone {options['timezone']!r}.") from exc
        password_hash = options["host_password_hash"]
        if password_hash is None:
            password_hash = os.environ.get("HOST_PASSWORD_HASH", "")
        if password_hash and not options["host_email"]:
            raise CommandError("A host password hash is set: give --host-email for the founder account.")
        try:
            with open_source(options["source"]) as source:
                report = legacy_import(
                    source=source,
                    dry_run=options["dry_run"],
                    open_contacts=options["open_contacts"],
                    host_email=options["host_email"],
                    host_password_hash=password_hash if options["host_email"] else "",
                    host_username=os.environ.get("HOST_USERNAME", ""),
                    tz=tz,
                )
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        self._print(report)

    def _print(self, report) -> None:
        out = self.stdout
        out.write(f"Import from {report.source}{' (DRY RUN: nothing written)' if report.dry_run else ''}")
        for table in report.tables:
            out.write(
                f"{table.table}: read {table.read}, created {table.created}, skipped {table.skipped}, "
                f"errors {len(table.errors)}"
            )
            for note in table.notes:
                out.write(f"  note: {note}")
            for row_id, reason in table.errors:
                out.write(self.style.WARNING(f"  {table.table} id {row_id}: {reason}"))
        totals = report.totals()
        out.write(
            self.style.SUCCESS(
                f"Total: read {totals['read']}, created {totals['created']}, skipped {totals['skipped']}, "
                f"errors {totals['errors']}"
            )
        )
        if report.dry_run:
            out.write("Dry run: nothing was written. Run again without --dry-run to import.")
