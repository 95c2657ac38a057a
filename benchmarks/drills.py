"""The fault drills of issue 12 as one command: real `kiwoom run` processes against the simulator.

    python benchmarks/drills.py [--short] [--seed N]

Each drill starts `kiwoom run --headless` in mock mode against its own in-process simulator
(127.0.0.1, port 0) and its own KIWOOM_HOME in a temporary directory; every wait is bounded:
1. kill -9 at random points around an entry whose order answer the simulator holds (delay_order),
   restart after each: duplicates (a code the broker took two buys for), own positions not managed
   after the restart, quantities that differ from the broker's (the run's summary or its journal).
2. socket drops (drop_socket) with an entry pushed while the socket is down: entries the broker still
   lists after the reconnect that were never bought.
3. a burst of entries in one simulator turn, the broker's rate limits on: 429s, the time to order all
   (the simulator lists 40 stocks, so a burst has at most 40 entries).
4. hostile socket frames (POST /sim/frame) and REST bodies (bad_answer on each api-id the runs used):
   crashes, deaf runs (the next entry not bought within a bound), exit 70s.
5. each kind of journal damage (tests/run/journal_damage.py): silent fresh starts (exit 0 or a start).
6. the memory figure of benchmarks/memory_day.py --short, when it is there.
--short: 4 kills, 2 drops, a 10-entry burst, a few frame kinds, live bad answers only, every damage kind.
Exit 0 when every "must be 0" figure is 0, else 1.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _drills_hostile as hostile  # noqa: E402
import _drills_runs as runs  # noqa: E402
from _drills_kit import ROOT, isolate, temp_root  # noqa: E402
from _report import machine_line  # noqa: E402

MUST_BE_0 = {("kill -9", "duplicates"), ("kill -9", "buys the journal never had"), ("kill -9", "unmanaged own positions"), ("kill -9", "wrong quantities"),
             ("socket drops", "missed entries"), ("burst", "429s"),
             ("hostile frames", "crashes"), ("hostile frames", "deaf runs"), ("hostile frames", "exit 70s"),
             ("hostile bodies", "crashes"), ("hostile bodies", "deaf runs"), ("hostile bodies", "exit 70s"),
             ("journal damage", "silent fresh starts")}


def memory(log) -> dict:
    script = ROOT / "benchmarks" / "memory_day.py"
    if not script.exists():
        return {"RSS growth after warm-up": "n/a (benchmarks/memory_day.py not there yet)"}
    ran = subprocess.run([sys.executable, str(script), "--short"], capture_output=True, text=True, timeout=600,
                         cwd=ROOT, stdin=subprocess.DEVNULL)
    found = re.search(r"growth ([+-]?[\d.]+) %", ran.stdout)
    if ran.returncode != 0 or not found:
        log(f"  memory_day.py exited {ran.returncode}: {(ran.stderr or ran.stdout).strip()[-300:]}")
        return {"RSS growth after warm-up": f"n/a (memory_day.py exited {ran.returncode})"}
    return {"RSS growth after warm-up": f"{found.group(1)} % (limit < 10 %, --short)"}


def table(results: list[tuple[str, dict, float]]) -> bool:
    """Print the figures; return True when every must-be-0 figure is 0."""
    ok = True
    print(f"\n{'drill':<16} {'figure':<31} {'value':>12}  check")
    for drill, figures, took in results:
        for name, value in figures.items():
            must = (drill, name) in MUST_BE_0
            bad = must and value != 0
            ok &= not bad
            mark = ("FAILED (must be 0)" if bad else "ok (must be 0)") if must else ""
            print(f"{drill:<16} {name:<31} {value!s:>12}  {mark}")
        print(f"{drill:<16} {'(wall s)':<31} {took:>12.0f}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="a scaled-down run (a few minutes at most)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the random kill points (default: random)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (journals, logs)")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    rng = random.Random(seed)
    n_kills, n_drops, n_burst = (4, 2, 10) if args.short else (40, 12, 50)
    root = temp_root()
    isolate(root)
    print(machine_line())
    print(f"drills{' --short' if args.short else ''} --seed {seed}; state under {root}")
    log = lambda line: print(line, flush=True)  # noqa: E731
    results = []

    def drill(name: str, fn, *a):
        log(f"\n== {name}")
        t0 = time.monotonic()
        try:
            figures = fn(*a)
        except Exception as exc:  # a drill that could not run is a failure, never a zero
            figures = {"error": f"{type(exc).__name__}: {exc}"[:200]}
            MUST_BE_0.add((name, "error"))
        results.append((name, figures, time.monotonic() - t0))
        return figures

    try:
        drill("kill -9", runs.kills, root, n_kills, rng, log)
        drill("socket drops", runs.drops, root, n_drops, log)
        drill("burst", runs.burst, root, n_burst, log)
        used: dict = {}
        drill("hostile frames", lambda: _frames(root, args.short, log, used))
        drill("hostile bodies", lambda: hostile.bodies(root, used.get("all", set()), used.get("trading", set()),
                                                       args.short, log))
        drill("journal damage", hostile.journal_damage, root, log)
        drill("memory", memory, log)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    ok = table(results)
    print(f"\n{'every must-be-0 figure is 0' if ok else 'some must-be-0 figures are not 0'} (seed {seed})")
    return 0 if ok else 1


def _frames(root: Path, short: bool, log, used: dict) -> dict:
    figures, used["all"], used["trading"] = hostile.frames(root, short, log)
    log(f"  api-ids the runs used: {sorted(used['all'])}; while trading: {sorted(used['trading'])}")
    return figures


if __name__ == "__main__":
    sys.exit(main())
