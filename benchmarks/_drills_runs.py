"""Drills 1-3 of benchmarks/drills.py: kill -9 mid-order, socket drops with entries in the gaps, a burst."""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from _drills_kit import SEQ, Place, placed, wait


def journal_positions(home: Path) -> dict[str, int]:
    """code -> qty of the positions the journal(s) of this home manage."""
    out: dict[str, int] = {}
    for path in (home / "journal").glob("*.sqlite3"):
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            for code, qty in db.execute("SELECT code, qty FROM positions WHERE qty > 0"):
                out[code] = out.get(code, 0) + qty
    return out


def journal_buys(home: Path) -> dict[str, int]:
    """code -> how many buy intents (placings) the journal(s) of this home hold."""
    out: dict[str, int] = {}
    for path in (home / "journal").glob("*.sqlite3"):
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            for code, n in db.execute("SELECT code, COUNT(*) FROM intents WHERE kind = 'place' AND side = 'buy' "
                                      "GROUP BY code"):
                out[code] = out.get(code, 0) + n
    return out


def _unmanaged_at_start(run, codes: set[str]) -> set[str]:
    return {d["code"] for d in run.matching("decision", rule="reconcile")
            if d["code"] in codes and "not managed" in d["reason"]}


POINTS = ("before the order", "answer held", "answer held", "after the answer")  # weighted: held twice


def kills(root: Path, n: int, rng: random.Random, log) -> dict:
    """kill -9 a run n times at random points around an entry whose order answer the broker holds."""
    out = {"kills": 0, "failed starts": 0, **{f"killed {p}": 0 for p in dict.fromkeys(POINTS)}}
    pushed: set[str] = set()
    unmanaged: set[str] = set()
    with Place(root, "kills") as place:
        for i in range(min(n, place.codes_left())):
            run = place.start_ready()
            if run is None:
                out["failed starts"] += 1
                log(f"  kill {i + 1}: the run did not start: {place.runs[-1].stderr.strip()[-300:]}")
                place.runs[-1].kill()
                continue
            unmanaged |= _unmanaged_at_start(run, pushed)
            code = place.fresh_code()
            hold = rng.uniform(0.2, 1.5)
            place.control("/sim/fault", {"kind": "delay_order", "count": 1, "delay_s": hold})
            place.control("/sim/condition", {"seq": SEQ, "code": code, "event": "I"})
            pushed.add(code)
            wait(lambda c=code: run.matching("condition", code=c), 5)  # the run has the entry
            point = rng.choice(POINTS)
            if point == "before the order":
                time.sleep(rng.uniform(0.0, 0.05))  # a fresh run's first entry is ordered in ~0.1 s
            else:
                wait(lambda c=code: place.buys(c), 10)  # the broker has the order (it logs before holding)
                time.sleep(rng.uniform(0.0, hold * 0.9) if point == "answer held" else hold + rng.uniform(0, 0.5))
            out[f"killed {point}"] += 1
            run.signal(signal.SIGKILL)
            run.kill()
            out["kills"] += 1
            log(f"  kill {i + 1}: {code}, {point} (answer held {hold:.2f} s); the broker "
                f"{'has' if place.buys(code) else 'has no'} buy; order line {'seen' if placed(run, code) else 'not seen'}"
                f"{''.join('; ' + d['reason'] for d in run.matching('decision', code=code))}")
            wait(lambda: not place.subscribed(), 10)  # the broker has seen the socket close
        final = place.start_ready()
        summary = {}
        if final is not None:
            unmanaged |= _unmanaged_at_start(final, pushed)
            place.stop(final)
            found = final.matching("summary")
            summary = {p["code"]: p for p in found[0]["open_positions"]} if found else {}
        held = place.holdings()
        journal = journal_positions(place.home)
        intents = journal_buys(place.home)
        buys = {c: len(place.buys(c)) for c in pushed}
    ours = {c for c in pushed if held.get(c)}
    unmanaged |= {c for c in ours if not summary.get(c, {}).get("managed") or c not in journal}
    wrong = {c for c in ours - unmanaged if summary.get(c, {}).get("qty") != held[c] or journal.get(c) != held[c]}
    out.update({
        "bought (held at the broker)": len(ours),
        "duplicates": sum(max(0, k - 1) for k in buys.values()),
        "buys the journal never had": sum(max(0, k - intents.get(c, 0)) for c, k in buys.items()),
        "unmanaged own positions": len(unmanaged),
        "wrong quantities": len(wrong),
        "final run started": final is not None,
    })
    if unmanaged or wrong:
        log(f"  unmanaged: {sorted(unmanaged)}; wrong quantities: "
            f"{[(c, held.get(c), summary.get(c, {}).get('qty'), journal.get(c)) for c in sorted(wrong)]}")
    return out


def drops(root: Path, n: int, log, bound: float = 10.0) -> dict:
    """Drop the socket n times and push an entry while it is down; was each entry bought after it?"""
    out = {"drops": 0, "missed entries": 0}
    with Place(root, "drops") as place:
        run = place.start_ready()
        if run is None:
            raise RuntimeError(f"the run did not start: {place.runs[-1].stderr[-500:]}")
        for i in range(min(n, place.codes_left())):
            code = place.fresh_code()
            before = len(run.matching("socket", state="connected"))

            async def gap(code=code):  # in one simulator loop turn: no socket is connected for the push
                await place.sim.ctx.drop_sockets()
                place.sim.ctx.exchange.push_condition(SEQ, code, "I")
            place.sim.call(gap)
            out["drops"] += 1
            back = wait(lambda: len(run.matching("socket", state="connected")) > before, bound)
            listed = place.sim.call(lambda c=code: c in place.sim.ctx.exchange._conditions.matches(SEQ))
            bought = wait(lambda c=code: placed(run, c), bound if back else 0)
            if not bought and listed:
                out["missed entries"] += 1
            log(f"  drop {i + 1}: {code} reconnected {'yes' if back else 'NO'}, still listed "
                f"{'yes' if listed else 'no'}, bought {'yes' if bought else 'NO'}")
            if run.proc.poll() is not None:
                log(f"  the run exited {run.proc.returncode}")
                break
        place.stop(run)
    return out


def burst(root: Path, n: int, log, bound: float = 180.0) -> dict:
    """n entries in one simulator turn, broker rate limits on: 429s, and the time until all were ordered."""
    from kiwoom_cli.sim.domain import SimConfig

    with Place(root, "burst", rate_limit=SimConfig().rate_limit) as place:
        run = place.start_ready()
        if run is None:
            raise RuntimeError(f"the run did not start: {place.runs[-1].stderr[-500:]}")
        codes = [place.fresh_code() for _ in range(min(n, place.codes_left()))]
        place.sim.call(lambda: [place.sim.ctx.exchange.push_condition(SEQ, c, "I") for c in codes])
        t0 = time.monotonic()
        done = wait(lambda: all(place.buys(c) for c in codes), bound, 0.05)
        took = time.monotonic() - t0
        statuses = [e["status"] for e in place.sim.request_log]
        ordered = sum(1 for c in codes if place.buys(c))
        for c in codes:
            if not place.buys(c):
                log(f"  {c} not ordered: {[d['reason'] for d in run.matching('decision', code=c)][:3]}")
        place.stop(run)
    log(f"  {len(codes)} entries; simulator statuses {dict(sorted({s: statuses.count(s) for s in statuses}.items()))}")
    return {"entries": len(codes), "429s": statuses.count(429), "ordered": ordered,
            "time to order all (s)": round(took, 1) if done else None}
