"""A backup restores into a fresh database, and the product works on it: same tickets, same
attachments byte for byte, same statements."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from billing.statements import statement_generate
from helpdesk.backups import BackupError, backup_create, backup_restore, fingerprint
from tests import factories
from tickets.attachments import CheckedFile
from tickets.models import Attachment, Ticket
from tickets.services import ticket_create

ROOT = Path(__file__).resolve().parents[2]


def _world_with_files() -> dict:
    world = factories.build_tenant_world("backup")
    ticket = ticket_create(
        tenant=world.tenant, channel="portal", subject="Faktura ZN-4001 – zła stawka VAT", body="W załączniku zrzut.",
        contact=world.contact,
        attachments=[CheckedFile("zrzut ekranu.png", "image/png", b"\x89PNG\r\n\x1a\n" + os.urandom(2048))])
    statement = statement_generate(tenant=world.tenant, organization=world.organization, month=date(2026, 1, 1))
    return {"ticket": ticket, "statement": statement, "world": world}


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_restores_after_the_data_is_lost(tmp_path, client):
    with override_settings(MEDIA_ROOT=str(tmp_path / "media")):
        data = _world_with_files()
        before = fingerprint()
        backup_create(tmp_path / "backup")

        # Disaster: the rows and the files are gone.
        call_command("flush", "--noinput", verbosity=0)
        for path in (tmp_path / "media").rglob("*"):
            if path.is_file():
                path.unlink()
        assert Ticket.objects.count() == 0

        with pytest.raises(BackupError, match="not empty"):
            backup_restore(tmp_path / "backup")
        backup_restore(tmp_path / "backup", force=True)
        assert fingerprint() == before

        # The product works on the restored data: the agent opens the ticket and its attachment.
        client.force_login(data["world"].agent.user)
        ticket = Ticket.objects.get(pk=data["ticket"].pk)
        page = client.get(f"/agent/tickets/{ticket.pk}/", HTTP_HOST=f"{ticket.tenant.slug}.localhost")
        assert page.status_code == 200 and "Faktura ZN-4001" in page.content.decode()
        attachment = Attachment.objects.get(message__ticket=ticket)
        download = client.get(f"/agent/attachments/{attachment.pk}/", HTTP_HOST=f"{ticket.tenant.slug}.localhost")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == attachment.file.open("rb").read()


def test_a_damaged_backup_is_refused_before_anything_is_touched(tmp_path):
    (tmp_path / "b").mkdir()
    with pytest.raises(BackupError, match="manifest"):
        backup_restore(tmp_path / "b")


@pytest.mark.django_db(transaction=True)
def test_a_backup_file_that_changed_is_refused(tmp_path):
    with override_settings(MEDIA_ROOT=str(tmp_path / "media")):
        _world_with_files()
        backup_create(tmp_path / "backup")
    media = tmp_path / "backup" / "media.tar.gz"
    media.write_bytes(media.read_bytes()[:-10])
    with pytest.raises(BackupError, match="damaged"):
        backup_restore(tmp_path / "backup", force=True)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


CHECK_SCRIPT = """
import json, django
django.setup()
from django.test import Client
from tickets.models import Ticket
from billing.models import Statement
from billing.statements import statement_pdf
from core.models import Membership
ticket = Ticket.objects.get(subject__startswith="Faktura ZN-4001")
agent = Membership.objects.get(tenant=ticket.tenant, role="agent").user
client = Client()
client.force_login(agent)
page = client.get(f"/agent/tickets/{ticket.pk}/", HTTP_HOST=f"{ticket.tenant.slug}.localhost")
statement = Statement.objects.get()
print(json.dumps({"page": page.status_code, "subject_shown": "Faktura ZN-4001" in page.content.decode(),
                  "pdf": statement_pdf(statement)[:5].decode(), "gross": str(statement.gross)}))
"""


@pytest.mark.services
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_restores_into_a_new_database(tmp_path):
    with override_settings(MEDIA_ROOT=str(tmp_path / "media")):
        data = _world_with_files()
        manifest = backup_create(tmp_path / "backup")
    assert (tmp_path / "backup" / "database.dump").stat().st_size > 0

    target = f"restore_{uuid.uuid4().hex[:12]}"
    source = connection.settings_dict
    dsn = f"postgresql://{source['USER'] or 'postgres'}@{source['HOST'] or '127.0.0.1'}:{source['PORT'] or 5432}"
    with psycopg.connect(f"{dsn}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        env = {**os.environ, "DATABASE_URL": f"postgres://{source['USER'] or 'postgres'}:"
               f"{source['PASSWORD'] or ''}@{source['HOST'] or '127.0.0.1'}:{source['PORT'] or 5432}/{target}",
               "MEDIA_ROOT": str(tmp_path / "restored-media"), "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
        restored = _manage("restore", str(tmp_path / "backup"), env=env)
        assert restored.returncode == 0, restored.stderr
        assert "the data matches the backup" in restored.stdout
        # The attachment is back byte for byte in the new media folder.
        name = manifest["fingerprint"]["attachments"][0][0]
        original = Attachment.objects.get(message__ticket=data["ticket"])
        with override_settings(MEDIA_ROOT=str(tmp_path / "media")):
            assert (tmp_path / "restored-media" / name).read_bytes() == original.file.open("rb").read()
        checked = subprocess.run([sys.executable, "-c", CHECK_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                                 text=True, timeout=120)
        assert checked.returncode == 0, checked.stderr
        result = json.loads(checked.stdout.strip().splitlines()[-1])
        assert result == {"page": 200, "subject_shown": True, "pdf": "%PDF-",
                          "gross": str(data["statement"].gross)}
        # A second restore into the now-populated database is refused without --force.
        again = _manage("restore", str(tmp_path / "backup"), env=env)
        assert again.returncode != 0 and "not empty" in again.stderr
    finally:
        with psycopg.connect(f"{dsn}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_settings_name_a_media_root():
    assert settings.MEDIA_ROOT
