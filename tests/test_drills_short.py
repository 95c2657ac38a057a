"""CI runs the fault drills' short version (benchmarks/drills.py --short): every must-be-0 figure is 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DRILLS = Path(__file__).resolve().parent.parent / "benchmarks" / "drills.py"


def test_the_short_drills_exit_0():
    # a fixed seed: a failure here replays with the same kill points (`python benchmarks/drills.py --short --seed 12`)
    ran = subprocess.run([sys.executable, str(DRILLS), "--short", "--seed", "12"], capture_output=True, text=True,
                         timeout=900, stdin=subprocess.DEVNULL, check=False)
    assert ran.returncode == 0, ran.stdout[-6000:] + ran.stderr[-2000:]
