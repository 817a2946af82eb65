"""The AIM3S loader, store keys, demo users, and settings read strictly from the environment."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from jwo_review.accounts.models import StoreApiKey, hash_key
from jwo_review.env import envbool, envfloat, envint, envurl
from jwo_review.store.models import Facing, Planogram, Plate, Product, Store

ROOT = Path(__file__).resolve().parents[2]


def test_the_aim3s_loader_counts(db: None) -> None:
    out = io.StringIO()
    call_command("load_store", aim3s=True, stdout=out)
    store = Store.objects.get(code="aim3s")
    assert Plate.objects.filter(store=store).count() == 96
    assert Product.objects.filter(sku__startswith="AIM3S-").count() == 81
    assert Facing.objects.filter(planogram__store=store, planogram__is_active=True).count() == 189
    imputed = Product.objects.filter(weight_imputed=True)
    assert sorted(imputed.values_list("name", flat=True)) == ["Reese's Pieces", "Reese's Pieces Cups"]
    assert all(p.unit_weight_g > 20 for p in imputed)
    assert "imputed" in out.getvalue()


def test_loading_twice_keeps_the_planogram_version(db: None) -> None:
    call_command("load_store", aim3s=True, stdout=io.StringIO())
    call_command("load_store", aim3s=True, stdout=io.StringIO())
    assert list(Planogram.objects.filter(store__code="aim3s").values_list("version", "is_active")) == [(1, True)]


def test_load_store_needs_a_source(db: None) -> None:
    with pytest.raises(CommandError, match="--aim3s"):
        call_command("load_store")


def test_create_store_key_prints_a_key_stored_only_hashed(aim3s: Store) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_store_key", store="aim3s", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    key = StoreApiKey.objects.get()
    assert key.key_hash == hash_key(raw) and raw not in key.key_hash and "cannot be shown again" in err.getvalue()


def test_create_store_key_names_the_known_stores(aim3s: Store) -> None:
    with pytest.raises(CommandError, match="aim3s"):
        call_command("create_store_key", store="nowhere")


def test_demo_users_get_their_roles(db: None) -> None:
    from django.contrib.auth import get_user_model

    from jwo_review.accounts.roles import Role, user_roles

    call_command("create_demo_users", stdout=io.StringIO())
    users = {u.username: user_roles(u) for u in get_user_model().objects.all()}
    assert users == {"admin": {Role.ADMIN}, "reviewer": {Role.REVIEWER}, "annotator": {Role.ANNOTATOR}}


@pytest.mark.parametrize(
    ("helper", "name", "value"),
    [
        (lambda n: envbool(n, False), "JWO_T_BOOL", "maybe"),
        (lambda n: envint(n, 1, minimum=1), "JWO_T_INT", "ten"),
        (lambda n: envint(n, 1, minimum=1), "JWO_T_INT", "0"),
        (lambda n: envfloat(n, 0.5, low=0, high=1), "JWO_T_FLOAT", "1.5"),
        (lambda n: envurl(n, schemes=("redis",)), "JWO_T_URL", "http://x"),
    ],
)
def test_bad_environment_values_stop_startup(monkeypatch: Any, helper: Any, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        helper(name)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "JWO_ENV", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_check() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        JWO_ENV="production",
        SECRET_KEY="x" * 20 + "-prod-secret-" + "y" * 30,
        ALLOWED_HOSTS="review.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret() -> None:
    result = _manage("check", JWO_ENV="production", ALLOWED_HOSTS="review.example.com")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_a_bad_database_url_is_a_clear_startup_error() -> None:
    result = _manage("check", DATABASE_URL="mysql://nope")
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr


def test_the_embedded_default_runs_on_sqlite_with_nothing_set(tmp_path: Path) -> None:
    env = {"SQLITE_NAME": str(tmp_path / "embedded.sqlite3"), "MEDIA_ROOT": str(tmp_path / "media")}
    for args in (("migrate", "--noinput"), ("load_store", "--aim3s"), ("create_demo_users",)):
        result = _manage(*args, **env)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "81 products" in _manage("load_store", "--aim3s", **env).stdout


_WRITE_RACE = """
import threading, time
from django.db import connection, transaction
with connection.cursor() as c:
    c.execute("create table race (n integer)")
    c.execute("insert into race values (0)")
errors, began = [], threading.Event()
def read_then_write():
    try:
        with transaction.atomic(), connection.cursor() as c:
            c.execute("select n from race")
            began.set()
            time.sleep(0.3)
            c.execute("update race set n = n + 1")
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        began.set()
        connection.close()
def write():
    began.wait()
    try:
        with transaction.atomic(), connection.cursor() as c:
            c.execute("update race set n = n + 10")
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()
threads = [threading.Thread(target=read_then_write), threading.Thread(target=write)]
[t.start() for t in threads]
[t.join() for t in threads]
with connection.cursor() as c:
    c.execute("select n from race")
    print("total", c.fetchone()[0], "errors", errors)
"""


def test_the_embedded_default_waits_its_turn_to_write(tmp_path: Path) -> None:
    """On SQLite, a transaction that reads, then writes while another writes, must wait for
    the lock, not fail with "database is locked" (a 500 to the reviewer)."""
    env = {"SQLITE_NAME": str(tmp_path / "race.sqlite3"), "MEDIA_ROOT": str(tmp_path / "media")}
    result = _manage("shell", "-c", _WRITE_RACE, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "total 11 errors []" in result.stdout, result.stdout + result.stderr
