"""Start a real Label Studio server headless on a free local port, and stop it.

Used by the test suite (tests/annotation/test_labelstudio_*.py) and by people who want
to try the interop locally:

    .venv/bin/python scripts/labelstudio_server.py            # prints URL and token; Ctrl-C stops it

The server comes from the virtual environment that `make labelstudio` makes
(``.venv-labelstudio``, or ``JWO_LABEL_STUDIO_BIN``), keeps its data in a temporary
folder, listens on 127.0.0.1 only, and starts with an admin user and a legacy API token
from its environment (legacy tokens are switched on before its first start). Nothing is
fetched from outside: the version check and analytics are off.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BIN = ROOT / ".venv-labelstudio" / "bin" / "label-studio"
START_TIMEOUT_S = 240.0


class LabelStudioStartError(RuntimeError):
    """The server could not be started; the message says why and how to fix it."""


@dataclass
class LabelStudioServer:
    url: str
    token: str
    email: str
    password: str
    data_dir: Path
    started_in_s: float
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as answer:  # noqa: S310 (loopback only)
            return bool(answer.status == 200)
    except OSError:
        return False


def start(
    *, port: int | None = None, binary: str | None = None, timeout_s: float = START_TIMEOUT_S
) -> LabelStudioServer:
    """A running server; raises LabelStudioStartError (with its log's end) when it does not come up."""
    exe = Path(binary or os.environ.get("JWO_LABEL_STUDIO_BIN") or DEFAULT_BIN)
    if not exe.exists():
        raise LabelStudioStartError(f"No Label Studio at {exe}: run `make labelstudio` (it makes .venv-labelstudio).")
    port = port or free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="jwo-labelstudio-"))
    email, password, token = "admin@labelstudio.test", secrets.token_urlsafe(12), secrets.token_hex(20)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE", "REDIS_URL", "JWO_"))},
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": email,
        "LABEL_STUDIO_PASSWORD": password,
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
    }
    log_path = data_dir / "server.log"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(exe),
                "start",
                "--no-browser",
                "--internal-host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--log-level",
                "WARNING",
            ],
            cwd=data_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LabelStudioServer(
        url=f"http://127.0.0.1:{port}",
        token=token,
        email=email,
        password=password,
        data_dir=data_dir,
        started_in_s=0.0,
        process=process,
        log_path=log_path,
    )
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise LabelStudioStartError(f"Label Studio exited with code {process.returncode}:\n{tail}")
        if _healthy(server.url):
            server.started_in_s = round(time.monotonic() - started, 1)
            return server
        time.sleep(0.5)
    tail = server.log_tail()
    server.stop()
    raise LabelStudioStartError(f"Label Studio did not answer /health within {timeout_s:.0f} s:\n{tail}")


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = start(port=port)
    print(f"Label Studio {server.url} started in {server.started_in_s} s")
    print(f"  sign in as {server.email} / {server.password}; API token {server.token}")
    print("  Ctrl-C stops it (its data is deleted)")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
