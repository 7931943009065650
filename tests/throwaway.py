"""Throwaway Redis and PostgreSQL servers for fault tests: started on a free port by the test that
needs them, stopped and restarted at will, never the shared services the rest of the suite uses.

Binaries: `redis-server` (Debian package redis-server) and PostgreSQL's server programs under
/usr/lib/postgresql/<major>/bin (package postgresql-<major>). `missing_binaries()` names what is
absent so that a test can skip locally, or fail under REQUIRE_SERVICES (CI).
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.processes import free_port


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server's bin directory (initdb, pg_ctl), if one is installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


def require(*, redis: bool = False, postgres: bool = False) -> None:
    """Skip the test when a binary is missing, or fail it under REQUIRE_SERVICES (CI installs them)."""
    missing = []
    if redis and not redis_server_binary():
        missing.append("redis-server (apt-get install redis-server)")
    if postgres and not postgres_bin_dir():
        missing.append("PostgreSQL server binaries (apt-get install postgresql-<major>)")
    if postgres and os.geteuid() == 0 and not shutil.which("runuser"):
        missing.append("runuser, to run PostgreSQL as the postgres user")
    if missing:
        message = "needs " + ", ".join(missing)
        if settings.REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES is set, but this fault test {message}")
        pytest.skip(message)


def _wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class ThrowawayRedis:
    """`redis-server --port N` without persistence; stop() and start() keep the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "redis.log", "a")  # noqa: SIM115 - the server holds it
        command = [redis_server_binary() or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        _wait_for_port(self.port, 15, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # the abrupt way: clients see connections reset, nothing flushed
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def throwaway_redis(directory: Path) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL cluster made with initdb in a temporary directory (trust authentication,
    127.0.0.1 only, fsync off), served on a free port."""

    directory: Path
    port: int
    bin_dir: Path

    def url(self, dbname: str, *, password: str = "") -> str:
        auth = f"postgres:{password}" if password else "postgres"
        return f"postgres://{auth}@127.0.0.1:{self.port}/{dbname}"

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            _as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), *args]),
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.directory / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session (in-flight queries fail); `immediate` is a crash."""
        self._pg_ctl("-m", mode, "-w", "stop")

    def create_database(self, name: str) -> None:
        command = [str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name]
        subprocess.run(
            _as_postgres(command),
            check=True,
            capture_output=True,
            timeout=30,
        )


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None, "call require(postgres=True) first"
    # Not pytest's tmp_path: its parents are private to root, and the server runs as postgres.
    directory = Path(tempfile.mkdtemp(prefix="titanobova-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = ThrowawayPostgres(directory=directory, port=free_port(), bin_dir=bin_dir)
    try:
        command = [str(bin_dir / "initdb"), "-D", str(directory / "data"), "-A", "trust", "-U", "postgres"]
        subprocess.run(
            _as_postgres([*command, "--no-sync", "-E", "UTF8"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
