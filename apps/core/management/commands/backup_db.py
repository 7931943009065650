from django.core.management.base import BaseCommand, CommandError

from apps.core.backups import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database: pg_dump, compressed, encrypted, to BACKUP_STORAGE; prune old backups."

    def add_arguments(self, parser):
        parser.add_argument("--no-prune", action="store_true", help="keep backups older than the retention")

    def handle(self, *args, no_prune: bool = False, **options):
        try:
            result = backup_create(prune=not no_prune)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{result.name} ({result.stored_bytes} bytes)")
        for name in result.pruned:
            self.stdout.write(f"deleted {name} (older than the retention)")
