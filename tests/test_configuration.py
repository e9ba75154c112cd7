"""The documented configuration and the code agree, so a dealer's IT can trust the docs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def settings_variables() -> set[str]:
    source = (ROOT / "leadflow" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|bool|int|list|choice)\(\s*"([A-Z0-9_]+)"', source))


def test_every_environment_variable_is_in_env_example_and_readme():
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    variables = settings_variables() | {"CELERY_DB_REUSE_MAX"}

    assert variables, "no variables found: the pattern no longer matches settings.py"
    assert sorted(v for v in variables if f"\n{v}=" not in example) == []
    assert sorted(v for v in variables if f"`{v}`" not in readme) == []


def test_compose_file_describes_the_production_topology():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert {"web", "worker", "worker-ring", "beat", "db", "redis"} <= set(services)
    assert "gunicorn leadflow.wsgi" in services["web"]["command"]
    assert "celery -A leadflow --quiet worker -Q ring " in services["worker-ring"]["command"]
    assert "celery -A leadflow --quiet worker -Q default,ring" in services["worker"]["command"]
    assert "celery -A leadflow --quiet beat" in services["beat"]["command"]
    for name in ("web", "worker", "worker-ring", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")


def test_readme_quick_start_has_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("```", 2)[1]

    commands = [line.split("#")[0].strip() for line in quick_start.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]
