"""A row lock held from a connection of the test's own, so a real worker's transaction can
be caught at a known point (waiting on that row) and killed there on any machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from django.db import connection


class RowLock:
    def __init__(self) -> None:
        db = connection.settings_dict
        self._conn = psycopg2.connect(
            dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
        )

    def take(self, table: str, pk: int) -> None:
        """Lock the row; psycopg2 opens a transaction, so the lock holds until release."""
        with self._conn.cursor() as cur:
            cur.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])

    def blocks_someone(self) -> bool:
        """Whether another session waits on a lock this one holds."""
        with self._conn.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")  # activity is read once per transaction otherwise
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))")
            row = cur.fetchone()
        return bool(row and row[0])

    def release(self) -> None:
        self._conn.rollback()
        self._conn.close()


@contextmanager
def row_lock() -> Iterator[RowLock]:
    lock = RowLock()
    try:
        yield lock
    finally:
        lock.release()
