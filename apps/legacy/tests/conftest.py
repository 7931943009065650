"""Old-schema databases of the Node.js backend, built from its CREATE TABLE statements."""

import os
import secrets
import sqlite3
from urllib.parse import urlsplit

import pytest
from django.conf import settings

# The Node.js backend's schema (SQLite flavour). `paid` came later, by ALTER TABLE.
SQLITE_CONTACTS = """CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT, phone TEXT, subject TEXT,
    message TEXT, created_at DATETIME DEFAULT CURRENT_TIMESTAMP)"""
SQLITE_REGISTRATIONS = """CREATE TABLE registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT, phone TEXT, course TEXT,
    level TEXT, price INTEGER, notes TEXT, created_at DATETIME DEFAULT CURRENT_TIMESTAMP)"""
ADD_PAID = "ALTER TABLE registrations ADD COLUMN paid INTEGER DEFAULT 0"

MYSQL_CONTACTS = """CREATE TABLE contacts (
    id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, email VARCHAR(255), phone VARCHAR(50),
    subject VARCHAR(255), message TEXT, created_at DATETIME DEFAULT CURRENT_TIMESTAMP)"""
MYSQL_REGISTRATIONS = """CREATE TABLE registrations (
    id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, email VARCHAR(255), phone VARCHAR(50),
    course VARCHAR(255), level VARCHAR(50), price INTEGER, notes TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP)"""

# (id, name, email, phone, subject, message, created_at): 3 good rows, 2 bad ones.
CONTACT_ROWS = [
    (
        1,
        "Asha Rao",
        "Asha@Example.com",
        "+91 98765 43210",
        "Batch timings",
        "When does it start?",
        "2025-10-01 09:30:00",
    ),
    (2, "Vikram Singh", "vikram@example.com", "", "Fees", "Is there an EMI option?", "2025-10-05 14:00:00"),
    (3, "No Mail", "", "", "Hello", "I forgot my address", "2025-10-06 10:00:00"),
    (4, "Bad Date", "bad.date@example.com", "", "Hi", "Broken date", "2025-13-45 99:00:00"),
    (5, "Meera Iyer", "meera@example.com", "", "", "Call me back", "2025-11-02 08:15:00"),
]
# (id, name, email, phone, course, level, price, notes, created_at, paid)
REGISTRATION_ROWS = [
    (
        1,
        "Rahul Mehta",
        "rahul@example.com",
        "+91 90000 00001",
        "Full-Stack Web Development",
        "beginner",
        4999,
        "Experience: beginner. Enrolled: 2025-11-02",
        "2025-11-02 10:00:00",
        1,
    ),
    (
        2,
        "Priya Nair",
        "priya@example.com",
        "",
        "Data Science Basics",
        "Intermediate",
        2999,
        "Experience: some Python. Enrolled: 2025-11-03",
        "2025-11-03 11:00:00",
        0,
    ),
    (3, "No Email", None, "", "Full-Stack Web Development", "beginner", 4999, "", "2025-11-04 12:00:00", 0),
    (4, "Odd Level", "odd@example.com", "", "Full-Stack Web Development", "expert", 4999, "", "2025-11-05 12:00:00", 1),
    (5, "Late Date", "late@example.com", "", "Full-Stack Web Development", "advanced", 4999, "", "not a date", 0),
]
GOOD_CONTACTS, BAD_CONTACTS = 3, 2
GOOD_REGISTRATIONS, BAD_REGISTRATIONS = 2, 3


def build_sqlite(path, *, with_paid: bool = True) -> str:
    connection = sqlite3.connect(path)
    connection.execute(SQLITE_CONTACTS)
    connection.execute(SQLITE_REGISTRATIONS)
    if with_paid:
        connection.execute(ADD_PAID)
    connection.executemany("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?)", CONTACT_ROWS)
    if with_paid:
        connection.executemany("INSERT INTO registrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", REGISTRATION_ROWS)
    else:
        connection.executemany(
            "INSERT INTO registrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [row[:9] for row in REGISTRATION_ROWS]
        )
    connection.commit()
    connection.close()
    return str(path)


MARIADB_URL = os.environ.get("MARIADB_URL", "mysql://root@127.0.0.1:3306")


def _mariadb_connect(database: str | None = None):
    import pymysql

    parts = urlsplit(MARIADB_URL)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=database,
        connect_timeout=5,
        autocommit=True,
    )


@pytest.fixture
def mariadb_source():
    """A MariaDB database of its own for this test (created here, dropped afterwards), with the
    old schema and rows. Skipped when no server answers, except in CI (REQUIRE_SERVICES)."""
    import pymysql

    try:
        admin = _mariadb_connect()
    except pymysql.MySQLError as exc:
        if settings.REQUIRE_SERVICES:
            pytest.fail(f"MariaDB is not reachable at {MARIADB_URL}: {exc}")
        pytest.skip(f"MariaDB is not reachable at {MARIADB_URL}: {exc}")
    name = f"wt_legacy_{secrets.token_hex(6)}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        db = _mariadb_connect(name)
        with db.cursor() as cursor:
            # Strict mode refuses the bad date outright; the old server, like many, ran without it.
            cursor.execute("SET SESSION sql_mode = ''")
            cursor.execute(MYSQL_CONTACTS)
            cursor.execute(MYSQL_REGISTRATIONS)
            cursor.execute("ALTER TABLE registrations ADD COLUMN paid INTEGER DEFAULT 0")
            cursor.executemany("INSERT INTO contacts VALUES (%s, %s, %s, %s, %s, %s, %s)", CONTACT_ROWS)
            cursor.executemany(
                "INSERT INTO registrations VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", REGISTRATION_ROWS
            )
        db.close()
        yield f"{MARIADB_URL.rstrip('/')}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()
