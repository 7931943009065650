"""Encrypted backups: the file format, and a real pg_dump / pg_restore round trip on PostgreSQL."""

import base64
import io
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from apps.core.backups import CHUNK_SIZE, BackupError, decrypt_stream, encrypt_stream
from apps.core.models import AuditLog

KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
OTHER_KEY = base64.urlsafe_b64encode(b"o" * 32).decode()


def _encrypt(data: bytes, key: str = KEY) -> bytes:
    target = io.BytesIO()
    encrypt_stream(io.BytesIO(data), target, key=key)
    return target.getvalue()


def _decrypt(blob: bytes, keys=(KEY,)) -> bytes:
    target = io.BytesIO()
    decrypt_stream(io.BytesIO(blob), target, keys=keys)
    return target.getvalue()


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE, CHUNK_SIZE * 2 + 17])
def test_encrypted_backup_round_trips(size):
    data = os.urandom(size)
    blob = _encrypt(data)
    assert size < 64 or data[:64] not in blob
    assert _decrypt(blob) == data


def test_any_listed_key_decrypts_so_keys_can_rotate():
    assert _decrypt(_encrypt(b"dump", key=OTHER_KEY), keys=(KEY, OTHER_KEY)) == b"dump"
    with pytest.raises(BackupError, match="not in BACKUP_ENCRYPTION_KEYS"):
        _decrypt(_encrypt(b"dump", key=OTHER_KEY), keys=(KEY,))


def test_tampered_or_truncated_backup_is_refused():
    blob = _encrypt(os.urandom(CHUNK_SIZE + 100))
    flipped = bytearray(blob)
    flipped[-5] ^= 1
    with pytest.raises(BackupError, match="corrupt"):
        _decrypt(bytes(flipped))
    # Cut after the first whole frame: every remaining frame is authentic, but the last is missing.
    first_frame_end = 20 + 5 + CHUNK_SIZE + 16
    with pytest.raises(BackupError, match="truncated"):
        _decrypt(blob[:first_frame_end])
    with pytest.raises(BackupError, match="Not an encrypted"):
        _decrypt(b"PGDMP" + blob)


def _server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_brings_deleted_data_back(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL); CI always runs it")
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is not installed (postgresql-client); .ci/run installs it")
    version = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout
    assert f" {_server_major()}." in version, f"pg_dump ({version.strip()}) must match the server's major version"

    from apps.contacts.models import Contact
    from apps.users.tests.factories import UserFactory

    settings.BACKUP_ENCRYPTION_KEYS = [KEY]
    settings.BACKUP_RETENTION_DAYS = 7
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    user = UserFactory(email="kept@example.com")
    Contact.objects.create(name="Asha", email="asha@example.com", message="Keep me")
    stale = tmp_path / f"titanobova-x-{datetime.now(UTC) - timedelta(days=8):%Y%m%dT%H%M%SZ}.dump.enc"
    recent = tmp_path / f"titanobova-x-{datetime.now(UTC) - timedelta(days=6):%Y%m%dT%H%M%SZ}.dump.enc"
    stale.write_bytes(b"old")
    recent.write_bytes(b"recent")

    out = io.StringIO()
    call_command("backup_db", stdout=out)
    name = out.getvalue().split()[0]
    backup = tmp_path / name
    assert backup.is_file() and name.endswith(".dump.enc")
    content = backup.read_bytes()
    assert not content.startswith(b"PGDMP") and b"kept@example.com" not in content
    assert not stale.exists() and recent.exists(), "retention deletes only backups older than 7 days"
    assert AuditLog.objects.filter(action="backup.created", details__name=name).exists()

    Contact.objects.all().delete()
    type(user).objects.all().delete()
    assert not type(user).objects.filter(email="kept@example.com").exists()

    call_command("restore_db", str(backup), interactive=False, stdout=io.StringIO())

    assert type(user).objects.filter(email="kept@example.com", pk=user.pk).exists()
    assert Contact.objects.filter(email="asha@example.com", message="Keep me").exists()
    assert AuditLog.objects.filter(action="backup.restored", details__source=str(backup)).exists()
    # The restore ran in one transaction from a decrypted dump: a backup with a wrong key changes nothing.
    settings.BACKUP_ENCRYPTION_KEYS = [OTHER_KEY]
    with pytest.raises(Exception, match="not in BACKUP_ENCRYPTION_KEYS"):
        call_command("restore_db", str(backup), interactive=False)
    assert type(user).objects.filter(email="kept@example.com").exists()
