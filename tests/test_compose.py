"""docker-compose.yml and the Dockerfile: checked, so the container topology cannot rot unseen.

tests/compose-spec.json is the Compose specification's JSON schema, vendored from
github.com/compose-spec/compose-spec (schema/compose-spec.json at 170098ba07d9, Apache-2.0).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "compose-spec.json"
# Variables of the images LeadFlow does not build (postgres, redis) are theirs to document.
INTERPOLATION = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def documented() -> set[str]:
    example = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))


def test_compose_file_is_valid_against_the_compose_specification():
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))

    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(compose())
    ]
    assert errors == []


def test_the_schema_check_would_notice_a_broken_file():
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    broken = compose()
    broken["services"]["web"]["restart"] = ["always"]
    broken["services"]["beat"]["depends_on"] = {"db": {"condition": "when-ready"}}

    assert len(list(validator.iter_errors(broken))) >= 2


def test_every_variable_the_compose_file_uses_is_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    services = compose()["services"]
    ours = [s for s in services.values() if s.get("image", "").startswith("leadflow")]
    used = set(INTERPOLATION.findall(text))
    for service in ours:
        env = service.get("environment") or {}
        used |= set(env if isinstance(env, dict) else (item.split("=")[0] for item in env))

    assert ours, "no LeadFlow service found"
    assert sorted(used - documented()) == []


def docker_engine() -> bool:
    if shutil.which("docker") is None:
        return False
    info = subprocess.run(["docker", "info"], capture_output=True, timeout=60)
    return info.returncode == 0


def test_the_dockerfile_builds():
    if not docker_engine():
        pytest.skip("no Docker engine on this machine: the Dockerfile build is not checked here")
    built = subprocess.run(
        ["docker", "build", "--quiet", "-t", "leadflow:ci", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0, built.stderr[-3000:]
