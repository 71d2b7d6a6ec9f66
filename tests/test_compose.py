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
