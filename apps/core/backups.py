"""Encrypted database backups: pg_dump (custom format, compressed), AES-256-GCM, a storage.

The dump is encrypted on this machine before it is written to the backup storage (a directory or
an S3 bucket), so neither the bucket nor a copy of the directory reveals any data without a key
from BACKUP_ENCRYPTION_KEYS.

File format (".dump.enc"): a header, then frames of at most CHUNK_SIZE plaintext bytes.
    header = MAGIC (8) | key id (8: start of the key's SHA-256) | nonce prefix (4, random)
    frame  = flag (1: 1 on the last frame) | length (4, big-endian) | AES-GCM ciphertext + tag
Frame i uses nonce = prefix | i (8 bytes, big-endian) and authenticates header | i | flag, so
frames can't be reordered, swapped between files or dropped, and a file cut short fails to
decrypt instead of restoring part of a database.
"""

import base64
import hashlib
import logging
import os
import re
import socket
import struct
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import connections

from .audit import audit_record

logger = logging.getLogger(__name__)

MAGIC = b"TNBBAK1\n"
CHUNK_SIZE = 1024 * 1024
_FRAME_HEAD = struct.Struct(">BI")
BACKUP_NAME = re.compile(r"^titanobova-(?P<db>[\w.-]+)-(?P<stamp>\d{8}T\d{6}Z)\.dump\.enc$")


class BackupError(Exception):
    pass


def _key_bytes(key: str) -> bytes:
    raw = base64.urlsafe_b64decode(key.encode())
    if len(raw) != 32:
        raise BackupError("A backup encryption key must be 32 bytes, URL-safe base64.")
    return raw


def _key_id(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()[:8]


def encrypt_stream(source: IO[bytes], target: IO[bytes], *, key: str) -> int:
    """Encrypt `source` into `target`; return the bytes of plaintext read."""
    raw = _key_bytes(key)
    aead = AESGCM(raw)
    header = MAGIC + _key_id(raw) + os.urandom(4)
    target.write(header)
    total, index = 0, 0
    chunk = source.read(CHUNK_SIZE)
    while True:
        following = source.read(CHUNK_SIZE) if chunk else b""
        last = 1 if not following else 0
        sealed = aead.encrypt(header[-4:] + struct.pack(">Q", index), chunk, _aad(header, index, last))
        target.write(_FRAME_HEAD.pack(last, len(sealed)) + sealed)
        total += len(chunk)
        if last:
            return total
        chunk, index = following, index + 1


def decrypt_stream(source: IO[bytes], target: IO[bytes], *, keys: Iterable[str]) -> int:
    """Decrypt a file written by `encrypt_stream` with whichever key it names; return its size."""
    header = source.read(len(MAGIC) + 12)
    if len(header) != len(MAGIC) + 12 or not header.startswith(MAGIC):
        raise BackupError("Not an encrypted Titanobova backup.")
    by_id = {_key_id(raw): raw for raw in (_key_bytes(key) for key in keys)}
    raw = by_id.get(header[len(MAGIC) : len(MAGIC) + 8])
    if raw is None:
        raise BackupError("The backup was encrypted with a key that is not in BACKUP_ENCRYPTION_KEYS.")
    aead = AESGCM(raw)
    total, index = 0, 0
    while True:
        head = source.read(_FRAME_HEAD.size)
        if len(head) != _FRAME_HEAD.size:
            raise BackupError("The backup file is truncated.")
        last, length = _FRAME_HEAD.unpack(head)
        sealed = source.read(length)
        if len(sealed) != length:
            raise BackupError("The backup file is truncated.")
        try:
            chunk = aead.decrypt(header[-4:] + struct.pack(">Q", index), sealed, _aad(header, index, last))
        except Exception as exc:  # cryptography's InvalidTag: tampered, or a wrong key
            raise BackupError("The backup file is corrupt or was tampered with.") from exc
        target.write(chunk)
        total += len(chunk)
        if last:
            if source.read(1):
                raise BackupError("The backup file has data after its last frame.")
            return total
        index += 1


def _aad(header: bytes, index: int, last: int) -> bytes:
    return header + struct.pack(">QB", index, last)


def _pg_env() -> dict[str, str]:
    """libpq's environment for the default database (keeps the password off the command line)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError("Backups need PostgreSQL (DATABASE_URL).")
    env = {**os.environ, "PGDATABASE": db["NAME"], "PGCONNECT_TIMEOUT": "10"}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def backup_storage():
    return storages["backups"]


@dataclass
class BackupResult:
    name: str
    plaintext_bytes: int
    stored_bytes: int
    pruned: list[str] = field(default_factory=list)


def backup_create(*, now: datetime | None = None, prune: bool = True, via: str = "command") -> BackupResult:
    """Dump the default database, encrypt it, store it, then delete backups past the retention."""
    now = now or datetime.now(UTC)
    env = _pg_env()
    name = f"titanobova-{env['PGDATABASE']}-{now:%Y%m%dT%H%M%SZ}.dump.enc"
    command = [settings.BACKUP_PG_DUMP, "--format=custom", "--compress=6", "--no-owner", "--no-privileges"]
    with tempfile.TemporaryFile() as encrypted, tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)
        assert process.stdout is not None
        try:
            plaintext = encrypt_stream(process.stdout, encrypted, key=settings.BACKUP_ENCRYPTION_KEYS[0])
        finally:
            process.stdout.close()
            returncode = process.wait()
        if returncode != 0:
            errors.seek(0)
            raise BackupError(f"pg_dump failed ({returncode}): {errors.read().decode(errors='replace')[-2000:]}")
        stored = encrypted.tell()
        encrypted.seek(0)
        name = backup_storage().save(name, File(encrypted, name=name))
    pruned = backup_prune(now=now, keep={name}) if prune else []
    audit_record(
        action="backup.created",
        details={
            "name": name,
            "bytes": stored,
            "storage": settings.BACKUP_STORAGE,
            "host": socket.gethostname(),
            "via": via,
            "pruned": pruned,
        },
    )
    logger.info("Backup %s stored (%s bytes); pruned %s", name, stored, len(pruned))
    return BackupResult(name=name, plaintext_bytes=plaintext, stored_bytes=stored, pruned=pruned)


def backup_list() -> list[tuple[datetime, str]]:
    """The backups in the backup storage, oldest first."""
    found = []
    for filename in backup_storage().listdir("")[1]:
        match = BACKUP_NAME.match(filename)
        if match:
            stamp = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            found.append((stamp, filename))
    return sorted(found)


def backup_prune(*, now: datetime, keep: set[str]) -> list[str]:
    """Delete backups older than BACKUP_RETENTION_DAYS (never one named in `keep`)."""
    cutoff = now - timedelta(days=settings.BACKUP_RETENTION_DAYS)
    storage = backup_storage()
    deleted = []
    for stamp, name in backup_list():
        if stamp < cutoff and name not in keep:
            storage.delete(name)
            deleted.append(name)
    return deleted


def _open_backup(source: str) -> Any:
    """A local file path, or a name in the backup storage."""
    path = Path(source)
    if path.is_file():
        return path.open("rb")
    storage = backup_storage()
    if not storage.exists(source):
        raise BackupError(f"No backup file {source!r} here or in the backup storage.")
    return storage.open(source, "rb")


def backup_restore(*, source: str, via: str = "command") -> int:
    """Replace the default database's contents with the backup `source`; return its dump's size.

    pg_restore runs in one transaction (--single-transaction --exit-on-error): a failed restore
    leaves the database as it was. The audit row is written afterwards, since the restore replaces
    the audit table with the backup's.
    """
    env = _pg_env()
    with tempfile.NamedTemporaryFile(suffix=".dump") as plain, _open_backup(source) as encrypted:
        size = decrypt_stream(encrypted, plain, keys=settings.BACKUP_ENCRYPTION_KEYS)
        plain.flush()
        connections.close_all()  # our own idle connections must not hold locks on the tables
        result = subprocess.run(
            [
                settings.BACKUP_PG_RESTORE,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={env['PGDATABASE']}",
                plain.name,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed ({result.returncode}): {result.stderr[-2000:]}")
    audit_record(
        action="backup.restored",
        details={"source": source, "bytes": size, "host": socket.gethostname(), "via": via},
    )
    logger.warning("Database restored from backup %s", source)
    return size
