"""``manage.py restore DIR [--force]``: restore a backup made by ``manage.py backup``."""
from __future__ import annotations

import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from helpdesk.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore a backup into the configured database (which must be empty unless --force) and "
            "MEDIA_ROOT, then check the restored data against the backup's fingerprint.")

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="The folder written by manage.py backup.")
        parser.add_argument("--force", action="store_true",
                            help="Replace the data of a database that is not empty (and the media files).")

    def handle(self, *args, source: Path, force: bool, **options):
        try:
            restored = backup_restore(source, force=force)
        except (BackupError, OSError, subprocess.CalledProcessError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {source}: {len(restored['tickets'])} tickets, "
                          f"{len(restored['attachments'])} attachments; the data matches the backup.")
