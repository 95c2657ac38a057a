"""Drills 4-5 of benchmarks/drills.py: hostile socket frames and REST bodies, then journal damage."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

from _drills_kit import RUN_ARGS, SEQ, Place, placed, wait

from tests.kit.cli import kiwoom_exe, mock_env

BIG = "9" * 5000
# name -> the frame's bytes (POST /sim/frame sends them as one text frame to every socket)
FRAMES: dict[str, bytes] = {
    "trnm a list": b'{"trnm": ["REAL"]}',
    "data a number": b'{"trnm": "REAL", "data": 5}',
    "5,000-digit number": ('{"trnm": "REAL", "data": [{"type": "0B", "item": "005930", "values": {"10": '
                           + BIG + '}}]}').encode(),
    "non-UTF-8 bytes": b'\xff\xfe{"trnm": "REAL"}\x80',
    "5,000-digit price text": ('{"trnm": "REAL", "data": [{"type": "0B", "item": "005930", "values": {"10": "+'
                               + BIG + '"}}]}').encode(),
    "top-level 5,000 digits": BIG.encode(),
    "JSON null": b"null",
    "a list": b"[1, 2, 3]",
    "not JSON": b"{trnm: REAL",
    "trnm missing": b'{"data": []}',
    "data entry null": b'{"trnm": "REAL", "data": [null]}',
    "values a list": b'{"trnm": "REAL", "data": [{"type": "0B", "item": "005930", "values": []}]}',
    "item a number": b'{"trnm": "REAL", "data": [{"type": "0B", "item": 5930, "values": {"10": "+1"}}]}',
    "NaN price": b'{"trnm": "REAL", "data": [{"type": "0B", "item": "005930", "values": {"10": NaN}}]}',
    "1e999": b'{"trnm": "REAL", "data": [{"type": "0B", "item": "005930", "values": {"10": 1e999}}]}',
    "condition entry, fields null": (b'{"trnm": "REAL", "data": [{"type": "02", "name": null, "item": null, '
                                     b'"values": {"841": null, "9001": null, "843": null}}]}'),
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "lone surrogate": b'{"trnm": "\\ud800"}',
    "CNSRREQ refusal": b'{"trnm": "CNSRREQ", "return_code": 1, "return_msg": "x"}',
    "600 KB text": b'{"trnm": "SYSTEM", "message": "' + b"x" * 600_000 + b'"}',  # /sim/frame takes <= 1 MB
    "PING with data": b'{"trnm": "PING", "data": {"a": [1]}}',
}
SHORT_FRAMES = ("trnm a list", "data a number", "5,000-digit number", "non-UTF-8 bytes")
# (status, body) answered verbatim to one request of an api-id (/sim/fault bad_answer)
BODIES = [(204, ""), (200, ""), (200, "not json"), (200, '{"return_code": 0}'), (200, "[]"),
          (500, "<html>oops</html>")]


class Verdicts:
    """Crashes, deaf runs and exit 70s over the hostile cases of one kind."""

    def __init__(self, log) -> None:
        self.figures = {"cases": 0, "crashes": 0, "deaf runs": 0, "exit 70s": 0, "refused at start": 0,
                        "started on it, not asked again": 0}
        self.log = log

    def judge(self, name: str, place: Place, run, bound: float) -> bool:
        """After the hostile input: is the run alive, and is the next entry bought? True: keep the run."""
        self.figures["cases"] += 1
        code = place.fresh_code()
        if run.proc.poll() is None:
            place.control("/sim/condition", {"seq": SEQ, "code": code, "event": "I"})
            wait(lambda: run.proc.poll() is not None or placed(run, code), bound)
        if run.proc.poll() is not None:
            self.figures["crashes"] += 1
            self.figures["exit 70s"] += run.proc.returncode == 70
            self.log(f"  {name}: the run exited {run.proc.returncode}: {run.stderr.strip()[-300:]}")
            return False
        if not placed(run, code):
            self.figures["deaf runs"] += 1
            self.log(f"  {name}: alive but deaf (the next entry, {code}, not bought in {bound:g} s)")
            return False
        return True


def frames(root: Path, short: bool, log, bound: float = 15.0) -> tuple[dict, set[str], set[str]]:
    """Each hostile frame to a live run, then an entry; return the figures and the api-ids the runs used
    (all of them, and those asked once the run was trading)."""
    verdicts = Verdicts(log)
    names = SHORT_FRAMES if short else tuple(FRAMES)
    with Place(root, "frames") as place:
        run, ready_at = None, None
        for name in names:
            if place.codes_left() == 0:
                break
            if run is None:
                run = place.start_ready()
                if run is None:
                    raise RuntimeError(f"the run did not start: {place.runs[-1].stderr[-500:]}")
                ready_at = ready_at or len(place.sim.request_log)
            place.control("/sim/frame", {"base64": base64.b64encode(FRAMES[name]).decode()})
            if not verdicts.judge(name, place, run, bound):
                place.stop(run)
                run = None
        if run is not None:
            place.stop(run)
        requests = place.sim.request_log
    used = {e["api_id"] for e in requests if e.get("api_id")}
    trading = {e["api_id"] for e in requests[ready_at or 0:] if e.get("api_id")}
    for name in ("refused at start", "started on it, not asked again"):  # a frame comes once the run is up
        verdicts.figures.pop(name)
    return verdicts.figures, used, trading


def bodies(root: Path, api_ids: set[str], trading: set[str], short: bool, log, bound: float = 20.0) -> dict:
    """For each api-id the runs used, each bad answer: once armed on a live run (one entry meets it), once
    armed before a run starts; then is the next entry bought?"""
    verdicts = Verdicts(log)
    for i, api_id in enumerate(sorted(api_ids)):
        cases = [BODIES[i % len(BODIES)]] if short else BODIES
        with Place(root, f"bodies-{api_id}") as place:
            for status, body in cases:
                fault = {"kind": "bad_answer", "api_id": api_id, "count": 1, "status": status, "body": body,
                         "effect": True}
                name = f"{api_id} {status} {body[:20]!r}"
                if api_id in trading:
                    _live(place, fault, name + " live", verdicts, bound)
                if not short:
                    _at_start(place, fault, name + " at start", verdicts, bound)
    return verdicts.figures


def _armed(place: Place) -> bool:
    return bool(place.sim.call(lambda: list(place.sim.ctx.faults.answers)))


def _live(place: Place, fault: dict, name: str, verdicts: Verdicts, bound: float) -> None:
    run = place.start_ready()
    if run is None:
        raise RuntimeError(f"the run did not start: {place.runs[-1].stderr[-500:]}")
    place.control("/sim/fault", fault)
    place.control("/sim/condition", {"seq": SEQ, "code": place.fresh_code(), "event": "I"})
    if wait(lambda: not _armed(place), bound / 2) or run.proc.poll() is not None:
        verdicts.judge(name, place, run, bound)
    else:  # this api-id is not asked while the run trades: the at-start case covers it
        place.sim.call(place.sim.ctx.faults.answers.clear)
    place.stop(run)
    wait(lambda: not place.subscribed(), 10)


def _at_start(place: Place, fault: dict, name: str, verdicts: Verdicts, bound: float) -> None:
    asked = lambda: sum(1 for e in place.sim.request_log if e.get("api_id") == fault["api_id"])  # noqa: E731
    place.control("/sim/fault", fault)
    before = asked()
    run = place.start()
    wait(lambda: run.proc.poll() is not None or (run.matching("start") and place.subscribed()), 30)
    if run.proc.poll() not in (None, 70):
        verdicts.figures["refused at start"] += 1
        verdicts.log(f"  {name}: refused at start, exit {run.proc.returncode}: {run.stderr.strip()[-200:]}")
    else:
        if run.proc.poll() is None and asked() - before == 1:
            verdicts.figures["started on it, not asked again"] += 1  # the bad answer was taken as data
            verdicts.log(f"  {name}: the run started on this answer without asking again")
        verdicts.judge(name, place, run, bound)
        place.stop(run)
    place.sim.call(place.sim.ctx.faults.answers.clear)
    wait(lambda: not place.subscribed(), 10)


def _started(stdout: str) -> bool:
    return any(json.loads(line).get("kind") == "start" for line in stdout.splitlines() if line.startswith("{"))


def journal_damage(root: Path, log) -> dict:
    """Each kind of damage (tests/run/journal_damage.py) under a run: a damaged journal must be refused
    with exit 2 (a start is a silent fresh start); a damaged ahead record must be moved aside with a
    warning and the run go on (a start without the warning is silent)."""
    from tests.run.journal_damage import AHEAD_DAMAGE, DAMAGE, seeded

    out = {"kinds": 0, "silent fresh starts": 0, "refused with exit 2": 0, "ahead records set aside": 0,
           "exit 70s": 0, "other exits": 0}
    for name, (damage, _) in {**DAMAGE, **AHEAD_DAMAGE}.items():
        with Place(root, "journal-" + name.replace(" ", "-").replace(",", "")) as place:
            os.environ["KIWOOM_HOME"] = str(place.home)  # seeded() finds the journal's path through it
            try:
                damage(seeded())
            finally:
                del os.environ["KIWOOM_HOME"]
            env = {**os.environ, **mock_env(place.sim), "KIWOOM_HOME": str(place.home)}
            try:
                ran = subprocess.run([kiwoom_exe(), "run", "--headless", *RUN_ARGS, "--until", "+3s"], env=env,
                                     capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
                code, err, started = ran.returncode, ran.stderr, _started(ran.stdout)
            except subprocess.TimeoutExpired:
                code, err, started = None, "still running after 60 s", True
        out["kinds"] += 1
        if name in AHEAD_DAMAGE and started and "moved to" in err:
            out["ahead records set aside"] += 1
        elif started or code == 0:
            out["silent fresh starts"] += 1
        elif code == 2:
            out["refused with exit 2"] += 1
        elif code == 70:
            out["exit 70s"] += 1
        else:
            out["other exits"] += 1
        log(f"  {name}: exit {code}{' after starting' if started else ''}: {err.strip().splitlines()[-1][:160] if err.strip() else ''}")
    return out
