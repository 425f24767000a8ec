"""Backups of the database and the media files that restore into a working installation.

A backup is a folder:

- ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite's
  online backup API: a consistent copy while the product runs);
- ``media.tar.gz``: every file under ``MEDIA_ROOT`` (attachments);
- ``manifest.json``: when, from which database, the checksum of each file, and a *fingerprint*
  of the data (row counts, ticket references, attachment checksums, statement totals).

The database is copied first and the media second. Files are only ever added (an attachment is
written before its row commits and never changed), so every file a row of the dump points to is
in the archive; the archive may hold a few newer files that no row references yet, which is
harmless. ``restore`` checks the checksums before it touches anything and compares the restored
data's fingerprint with the manifest's afterwards.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone

from core import tenancy_cache

FORMAT_VERSION = 1


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """libpq connection arguments and environment for pg_dump/pg_restore from Django's settings."""
    db = connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return args, env


def fingerprint() -> dict[str, Any]:
    """What must be identical after a restore: counts, ticket numbers, files and money."""
    from billing.models import Statement, TimeEntry
    from core.models import Contact, Organization, Tenant
    from tickets.models import Attachment, Message, Ticket

    media = Path(settings.MEDIA_ROOT)
    attachments = []
    for name, size in Attachment.objects.order_by("pk").values_list("file", "size"):
        path = media / name
        attachments.append([name, size, _sha256(path) if path.exists() else None])
    statements = Statement.objects.aggregate(net=Sum("net"), gross=Sum("gross"))
    return {
        "tenants": Tenant.objects.count(),
        "organizations": Organization.objects.count(),
        "contacts": Contact.objects.count(),
        "tickets": sorted(Ticket.objects.values_list("tenant__slug", "number")),
        "messages": Message.objects.count(),
        "time_entries": TimeEntry.objects.count(),
        "attachments": attachments,
        "statements": {"count": Statement.objects.count(), "net": str(statements["net"] or 0),
                       "gross": str(statements["gross"] or 0)},
    }


def _normalised(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def backup_create(output: Path) -> dict[str, Any]:
    output.mkdir(parents=True, exist_ok=False)
    vendor = connection.vendor
    if vendor == "postgresql":
        args, env = _pg_env()
        database_file = output / "database.dump"
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                        "--file", str(database_file), *args], check=True, env=env)
    elif vendor == "sqlite":
        database_file = output / "database.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(database_file)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:
        raise BackupError(f"backups of {vendor} databases are not supported")

    media_file = output / "media.tar.gz"
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(media_file, "w:gz") as archive:
        if media.exists():
            for path in sorted(media.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=str(path.relative_to(media)), recursive=False)

    manifest = {
        "format": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "database": {"vendor": vendor, "file": database_file.name, "sha256": _sha256(database_file)},
        "media": {"file": media_file.name, "sha256": _sha256(media_file)},
        "fingerprint": _normalised(fingerprint()),
    }
    (output / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return manifest


def _manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source}: no readable manifest.json ({exc})") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{source}: unknown backup format {manifest.get('format')!r}")
    for part in ("database", "media"):
        path = source / manifest[part]["file"]
        if not path.exists() or _sha256(path) != manifest[part]["sha256"]:
            raise BackupError(f"{path}: missing or damaged (checksum differs from the manifest)")
    return manifest


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def backup_restore(source: Path, *, force: bool = False) -> dict[str, Any]:
    """Restore ``source`` into the configured database and MEDIA_ROOT; return the fingerprint check."""
    manifest = _manifest(source)
    vendor = connection.vendor
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(f"the backup is of a {manifest['database']['vendor']} database, this is {vendor}")
    if not force and not _database_is_empty():
        raise BackupError("the database is not empty: restore into a new database, or pass --force")
    database_file = source / manifest["database"]["file"]
    if vendor == "postgresql":
        args, env = _pg_env()
        connections.close_all()
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                        "--exit-on-error", *args, str(database_file)], check=True, env=env)
    else:
        connection.ensure_connection()
        origin = sqlite3.connect(database_file)
        try:
            origin.backup(connection.connection)
        finally:
            origin.close()
        connections.close_all()

    media = Path(settings.MEDIA_ROOT)
    if force and media.exists():
        shutil.rmtree(media)
    media.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / manifest["media"]["file"], "r:gz") as archive:
        archive.extractall(media, filter="data")

    # What the cache holds was read from the data before the restore: out of reach, every tenant's
    # (the key of every cached tenancy answer, page read and ticket list carries this version).
    tenancy_cache.bump()
    restored = _normalised(fingerprint())
    expected = manifest["fingerprint"]
    differences = sorted(key for key in expected if expected[key] != restored.get(key))
    if differences:
        raise BackupError(f"the restored data differs from the backup in: {', '.join(differences)}")
    return restored
