"""Reading the Node.js backend's database: its SQLite file or its MySQL/MariaDB server.

Both give rows as dicts keyed by column name, so a table that lacks a column (old files have no
`paid`, added later by ALTER TABLE) simply has no such key.
"""

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TABLES = ("contacts", "registrations")


class SourceError(Exception):
    """The source can't be opened or read: a message for the operator."""


class LegacySource:
    description = ""

    def has_table(self, table: str) -> bool:
        raise NotImplementedError

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> "LegacySource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SQLiteSource(LegacySource):
    def __init__(self, path: str) -> None:
        if not Path(path).is_file():
            raise SourceError(f"No such file: {path}")
        self.description = f"sqlite:{Path(path).name}"
        # Read-only: the import never changes the old database.
        self.connection = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        self.connection.row_factory = sqlite3.Row
        try:
            self.connection.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            self.connection.close()
            raise SourceError(f"{path} is not a SQLite database ({exc}).") from exc

    def has_table(self, table: str) -> bool:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return self.connection.execute(query, [table]).fetchone() is not None

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        assert table in TABLES
        try:
            cursor = self.connection.execute(f"SELECT * FROM {table} ORDER BY id")
        except sqlite3.DatabaseError as exc:  # e.g. no `id` column: not the old backend's table
            raise SourceError(f"Can't read the {table} table ({exc}); is this the Node.js database?") from exc
        for row in cursor:
            yield dict(row)

    def close(self) -> None:
        self.connection.close()


class MySQLSource(LegacySource):
    """mysql://user:password@host:port/database (also mariadb://; ?unix_socket=/path works)."""

    def __init__(self, url: str) -> None:
        import pymysql

        parts = urlsplit(url)
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise SourceError("The MySQL URL names no database: mysql://user:password@host:3306/database")
        try:
            port = parts.port or 3306
        except ValueError as exc:
            raise SourceError(f"The MySQL URL's port is not a number ({exc}).") from exc
        query = parse_qs(parts.query)
        self.description = f"mysql://{parts.hostname or 'localhost'}:{port}/{database}"
        try:
            self.connection = pymysql.connect(
                host=parts.hostname or "localhost",
                port=port,
                user=unquote(parts.username or "root"),
                password=unquote(parts.password or ""),
                database=database,
                unix_socket=query.get("unix_socket", [None])[0],
                charset="utf8mb4",
                cursorclass=pymysql.cursors.DictCursor,
                connect_timeout=10,
            )
        except pymysql.MySQLError as exc:
            raise SourceError(f"Can't connect to {self.description}: {exc}") from exc

    def has_table(self, table: str) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute("SHOW TABLES LIKE %s", [table])
            return cursor.fetchone() is not None

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        assert table in TABLES
        import pymysql

        with self.connection.cursor() as cursor:
            try:
                cursor.execute(f"SELECT * FROM `{table}` ORDER BY id")
            except pymysql.MySQLError as exc:
                raise SourceError(f"Can't read the {table} table ({exc}); is this the Node.js database?") from exc
            yield from cursor.fetchall()

    def close(self) -> None:
        self.connection.close()


def open_source(source: str) -> LegacySource:
    """A SQLite file path, or a mysql:// (mariadb://) URL."""
    if source.startswith(("mysql://", "mariadb://")):
        return MySQLSource(source)
    if "://" in source:
        raise SourceError("Give a SQLite file path or a mysql://user:password@host:port/database URL.")
    return SQLiteSource(source)
