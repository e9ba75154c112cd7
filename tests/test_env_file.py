"""The checkout's .env: `make run` writes it once, and every manage.py command then works."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from dotenv import dotenv_values

from leadflow.lib.envfile import env_file_ensure

ROOT = Path(__file__).resolve().parent.parent
SHOW_KEY = "from django.conf import settings; print(settings.SECRET_KEY, settings.DEBUG)"


def manage(*args: str, env_file: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """manage.py as a user runs it: only PATH and the given variables, no pytest around."""
    clean = {"PATH": os.environ["PATH"], "LEADFLOW_ENV_FILE": str(env_file), **env}
    clean["LEADFLOW_VAR_DIR"] = str(env_file.parent / "var")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_first_run_writes_a_private_env_file_with_a_fresh_secret_key_once(tmp_path):
    path = tmp_path / ".env"

    assert env_file_ensure(path, demo_token="lf_demo_kept") is True
    first = dotenv_values(path)
    assert len(first["SECRET_KEY"]) >= 50
    assert first["DEBUG"] == "1"
    assert first["LEADFLOW_DEMO_TOKEN"] == "lf_demo_kept"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    assert env_file_ensure(path) is False
    assert dotenv_values(path) == first
    assert env_file_ensure(tmp_path / "other.env")
    assert dotenv_values(tmp_path / "other.env")["SECRET_KEY"] != first["SECRET_KEY"]


def test_manage_py_reads_the_env_file_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file_ensure(env_file)
    key = dotenv_values(env_file)["SECRET_KEY"]

    from_file = manage("shell", "-c", SHOW_KEY, env_file=env_file)
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout.split()[-2:] == [key, "True"]

    overridden = manage(
        "shell", "-c", SHOW_KEY, env_file=env_file, SECRET_KEY="from-env", DEBUG="0"
    )
    assert overridden.returncode == 0, overridden.stderr
    assert overridden.stdout.split()[-2:] == ["from-env", "False"]


def test_without_env_file_or_key_manage_py_says_what_to_do(tmp_path):
    refused = manage("check", env_file=tmp_path / "missing.env")

    assert refused.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in refused.stderr
    assert "make run" in refused.stderr


def test_the_env_file_is_git_ignored():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, capture_output=True, timeout=30
    )
    assert ignored.returncode == 0
