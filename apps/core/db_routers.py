"""Reads to the read replica, writes and migrations to the primary (DATABASE_REPLICA_URL)."""

from django.db import connections


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        # Inside a transaction on the primary (select_for_update, reading what it just wrote) stay
        # there: the replica lags and cannot lock rows.
        if connections["default"].in_atomic_block:
            return "default"
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        return "replica"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, replicated: objects from either side may be related

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
