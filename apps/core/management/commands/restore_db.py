from django.core.management.base import BaseCommand, CommandError

from apps.core.backups import BackupError, backup_list, backup_restore


class Command(BaseCommand):
    help = "Replace the database's contents with a backup made by backup_db (a path or a stored name)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="a path, or a name in the backup storage; omit to list them")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args, file: str | None = None, interactive: bool = True, **options):
        if not file:
            for stamp, name in backup_list():
                self.stdout.write(f"{stamp:%Y-%m-%d %H:%M} UTC  {name}")
            return
        if interactive:
            answer = input(f"This replaces every table of the database with the backup {file}. Type 'yes': ")
            if answer != "yes":
                raise CommandError("Restore cancelled.")
        try:
            size = backup_restore(source=file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {file} ({size} bytes of dump).")
