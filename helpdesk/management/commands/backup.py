"""``manage.py backup [--output DIR]``: the database and the media files, with a manifest."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from helpdesk.backups import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the media files into a new folder (see helpdesk/backups.py)."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=None,
                            help="A folder that does not exist yet (default: var/backups/<UTC time>).")

    def handle(self, *args, output: Path | None, **options):
        output = output or Path(settings.BASE_DIR) / "var" / "backups" / timezone.now().strftime("%Y%m%dT%H%M%SZ")
        try:
            manifest = backup_create(output)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        tickets = len(manifest["fingerprint"]["tickets"])
        files = len(manifest["fingerprint"]["attachments"])
        self.stdout.write(f"Backup written to {output}: {tickets} tickets, {files} attachments.")
