"""The slow flows (chaos, crash, supervision) while other processes keep every CPU busy.

refbot's promises — exactly one draft per question, every approved list delivered exactly
once, a killed worker restarted — must not depend on an idle machine. This runs
``tests/flows`` ``--runs`` times (default 3) with one busy-looping process per core beside it,
and prints how each run went. Run: ``.venv/bin/python bench/chaos_under_load.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _burn(stop_at: float) -> None:
    x = 0
    while time.time() < stop_at:
        x = (x * 31 + 7) % 1_000_003


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tests", default="tests/flows", help="which tests to run under load")
    args = parser.parse_args()
    cores = os.cpu_count() or 2
    outcomes = []
    for run in range(1, args.runs + 1):
        burners = [multiprocessing.Process(target=_burn, args=(time.time() + 3600,), daemon=True) for _ in range(cores)]
        for burner in burners:
            burner.start()
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "slow", args.tests],
                              cwd=REPO, capture_output=True, text=True)
        took = time.monotonic() - started
        load = os.getloadavg()[0]
        for burner in burners:
            burner.terminate()
        summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
        outcomes.append(done.returncode == 0)
        print(f"run {run}: {'passed' if done.returncode == 0 else 'FAILED'} in {took:.0f} s, "
              f"load {load:.1f} on {cores} cores with {cores} busy processes beside it — {summary}", flush=True)
        if done.returncode != 0:
            print(done.stdout[-4000:], flush=True)
    print(f"\n{sum(outcomes)} of {len(outcomes)} runs passed under full CPU load")


if __name__ == "__main__":
    main()
