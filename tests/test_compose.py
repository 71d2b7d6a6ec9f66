import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_is_accepted_and_runs_the_whole_stack():
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is needed to check docker-compose.yml (.ci/run installs it)")
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "--services"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {
        "postgres",
        "redis",
        "mailpit",
        "migrate",
        "web",
        "worker",
        "mail-worker",
        "beat",
    }


def _service_blocks(config_text: str) -> dict[str, str]:
    """The printed config of each service (docker-compose config prints YAML, 2-space indents)."""
    blocks: dict[str, str] = {}
    in_services, current = False, None
    for line in config_text.splitlines():
        if not line.startswith(" "):
            in_services, current = line == "services:", None
            continue
        if in_services and line.startswith("  ") and not line.startswith("   "):
            current = line.strip().rstrip(":")
            blocks[current] = ""
        elif current:
            blocks[current] += line.strip() + "\n"
    return blocks


def test_compose_serves_the_web_on_8000_and_mailpit_on_8025_with_mail_on_its_own_queue():
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is needed to check docker-compose.yml (.ci/run installs it)")
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    blocks = _service_blocks(result.stdout)

    assert "published: 8000\ntarget: 8000" in blocks["web"]
    assert "published: 8025\ntarget: 8025" in blocks["mailpit"]
    assert "- -Q\n- default\n" in blocks["worker"]
    assert "- -Q\n- mail\n" in blocks["mail-worker"]
    assert "- beat\n" in blocks["beat"]
    assert "DJANGO_SETTINGS_MODULE: config.settings.production" in blocks["web"]
