"""Run every benchmark in bench/ (`make bench`); pass --quick for small sizes."""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"common.py", "run.py"}


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in SKIP)
    if not scripts:
        print("bench: no benchmarks yet")
        return 0
    failed = []
    for script in scripts:
        print(f"\n== {script.stem} ==", flush=True)
        start = time.monotonic()
        result = subprocess.run([sys.executable, str(script), *argv], cwd=HERE.parent)
        print(f"-- {script.stem}: exit {result.returncode} in {time.monotonic() - start:.0f}s")
        if result.returncode:
            failed.append(script.stem)
    if failed:
        print(f"\nbench: failed: {', '.join(failed)}")
        return 1
    print(f"\nbench: {len(scripts)} benchmark(s) done; figures in bench/results/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
