"""Fail fast, and say how to fix it, when PostgreSQL or Redis is not reachable."""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse


def reachable(url: str, default_port: int) -> tuple[bool, str]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=3):
            return True, f"{host}:{port}"
    except OSError as exc:
        return False, f"{host}:{port} ({exc.strerror or exc})"


def main() -> int:
    failed = False
    for name, port, hint in (
        ("DATABASE_URL", 5432, "start PostgreSQL (pg_ctlcluster 15 main start) or set DATABASE_URL=postgres://..."),
        ("REDIS_URL", 6379, "start Redis (redis-server --daemonize yes) or set REDIS_URL=redis://..."),
    ):
        url = os.environ.get(name, "")
        if not url:
            print(f"{name} is not set; the tests run on real PostgreSQL and Redis.", file=sys.stderr)
            failed = True
            continue
        ok, where = reachable(url, port)
        if not ok:
            print(f"Cannot reach {name} at {where}: {hint}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
