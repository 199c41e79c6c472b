"""Run Retour's own processes against a database of their own: the embedded default (a SQLite
file) or the distributed path (a PostgreSQL database shared by several workers)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("RETOUR_TEST_PG", "postgres://postgres@127.0.0.1:5432")


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=2):
            return True
    except Exception:
        return False


@contextlib.contextmanager
def database(kind: str, tmp_path: Path):
    """Yield a DATABASE_URL for a fresh, migrated database of `kind` ("sqlite" or "postgres")."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'retour.sqlite3'}"
        return
    import psycopg

    name = f"retour_jobs_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "RETOUR_DATA_DIR": str(tmp_path),
        "RETOUR_LOG_LEVEL": "WARNING",
        "RETOUR_LOG_FORMAT": "console",
        "RETOUR_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "retour.settings",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("RETOUR_TEST_SQLITE_NAME", None)
    env.update(extra)
    return env


def retour(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(  # noqa: S603 - our own commands
        [str(BIN / "retour"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"retour {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def seed(env: dict[str, str], count: int, webhook_url: str, secret: str) -> list[str]:
    done = subprocess.run(  # noqa: S603 - our own commands
        [sys.executable, "-m", "tests.notifications.crash_seed", str(count), webhook_url, secret],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"seed failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    handle = log.open("ab")
    return subprocess.Popen(  # noqa: S603 - our own command
        [str(BIN / "retour"), "worker", "--interval", "0.1", *args],
        env=env,
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
