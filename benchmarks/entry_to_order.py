"""Benchmark: condition entry frame read -> kt10000 order bytes written by the order worker (issues #5, #13). Not a test.

    python benchmarks/entry_to_order.py [--cycles 4] [--quote-cycles 2]
        [--dashboard both|on|off] [--switch-interval 5] [--breakdown] [--profile] [--gap 0.03]
        [--gc run|default|freeze|<gen-0 threshold>] [--feed on|off] [--no-pin]

The real Engine, SocketClient and RestClients against a SimServer running in ANOTHER process
(static market, rate limits off, buy condition "4" which a static market never enters by itself).
The one order path (docs/architecture.md §3): the engine commits the intent, queues it, and the
order worker sends it (OrderService -> kiwoom/gateway.OrderGateway -> RestClient, urllib3).

Where the clock starts: ConditionEvent.received, stamped (clock.monotonic) by the socket reader when
it has the REAL frame, before parsing. Where it stops: urllib3's HTTPConnection.send returning for the
last chunk of the kt10000 request (the body), i.e. the bytes are in the kernel's socket buffer.
That is a wrapper around urllib3's send in this process only (WireTap): no kiwoom_cli change, ~1 µs.
Cross-check: the simulator's own handler receipt of the order (wall clock, other process).

Two pricings, one row each:
- tick: the code's 0B is registered (directly on the socket, outside the engine) and a trade is made
  just before the entry, so the engine prices from a live tick (no quote request): the in-process
  figure of issue #13 (target p50 <= 1 ms, p99 <= 3 ms), and sim push -> sim got kt10000 (p50 <= 2.5 ms).
- quote: no fresh tick: entry -> Idle -> ka10095 round trip -> kt10000 (issue #5: p50 < 5 ms end to end).
Entries are sequential (one in flight); every `cycle` enters each affordable code once, then sells all.
Baseline measured in the same run: the polling design's single hop (consumer waking every 10 ms, one
message per wake-up).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _engine_rig as R
from _report import wait


def go_flat(rig: R.Rig, timeout: float = 30.0) -> None:
    """Sell everything (again every 2 s: a buy still unfilled when SellAll arrived is not sellable yet),
    then resume buying, which SellAll pauses (the dashboard's `x`, then `p`)."""
    from kiwoom_cli.core import events as ev

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        rig.engine.put(ev.SellAll())
        if wait(lambda: not (s := rig.snapshot()).positions and not s.orders, 2, 0.1):
            rig.engine.put(ev.Resume())
            return
    print("  warning: positions not flat", file=sys.stderr)


STAGES: dict[str, list] = {"kernel": [], "worker": [], "post": [], "dispatch_reg": []}
PROFILES: dict[str, object] = {}  # --profile: cProfile of the engine's entry handling and of the order worker


def install_breakdown() -> None:
    """Stamp stage boundaries: wrap Kernel.handle (its stage ends when JournalWriter.write has committed
    the turn: the intents are dispatched and the sinks called after that, inside handle), OrderWorker.handle,
    RestClient._post, Engine._dispatch."""
    from kiwoom_cli.core import events as ev
    from kiwoom_cli.core.engine import Engine
    from kiwoom_cli.core.facts import JournalWriter
    from kiwoom_cli.core.kernel import Kernel
    from kiwoom_cli.core.workers import OrderWorker
    from kiwoom_cli.kiwoom.rest import RestClient
    from kiwoom_cli.models import ConditionEvent

    handle, work, post = Kernel.handle, OrderWorker.handle, RestClient._post
    dispatch, write = Engine._dispatch, JournalWriter.write
    committed = [0.0]  # when the engine's last turn was committed

    def j_write(self, turn):
        write(self, turn)
        committed[0] = time.monotonic()

    JournalWriter.write = j_write

    def e_dispatch(self, intents, *a, **kw):
        if not any(isinstance(i, ev.Register) for i in intents):
            return dispatch(self, intents, *a, **kw)
        t0 = time.monotonic()
        try:
            return dispatch(self, intents, *a, **kw)
        finally:
            STAGES["dispatch_reg"].append((time.monotonic() - t0) * 1000)

    Engine._dispatch = e_dispatch

    def k_handle(self, event, now, *a, **kw):
        if type(event) is not ConditionEvent:
            return handle(self, event, now, *a, **kw)
        prof = PROFILES.get("kernel.handle(ConditionEvent)")
        t0 = time.monotonic()
        if prof is not None:
            prof.enable()
        out = handle(self, event, now, *a, **kw)
        if prof is not None:
            prof.disable()
        STAGES["kernel"].append((event.code, t0, committed[0]))
        return out

    def w_handle(self, api, job):
        STAGES["worker"].append((getattr(job, "code", None), time.monotonic()))
        prof = PROFILES.get("OrderWorker.handle")
        if prof is None:
            return work(self, api, job)
        prof.enable()
        try:
            return work(self, api, job)
        finally:
            prof.disable()

    def r_post(self, api_id, body, token, **kw):
        if api_id == "kt10000":
            STAGES["post"].append((body.get("stk_cd"), time.monotonic()))
        return post(self, api_id, body, token, **kw)

    Kernel.handle, OrderWorker.handle, RestClient._post = k_handle, w_handle, r_post


def breakdown(rows_src, dispatch_reg) -> None:
    """Print per-stage times for tick-priced entries: (code, received, written) tuples."""
    common = ("read -> kernel starts (parse, queue hop, wake)", "kernel: state, rules, intent committed")
    worker_names = ("committed -> order worker takes the job", "worker -> RestClient._post called",
                    "_post -> kt10000 bytes written (urllib3)")
    first = [[] for _ in common]
    by_worker = [[] for _ in worker_names]

    def last(rows, code, received, written):
        return max((x for x in rows if x[0] == code and received <= x[1] <= written), default=None,
                   key=lambda x: x[1])

    for code, received, written in rows_src:
        k = last(STAGES["kernel"], code, received, written)
        if k is None:
            continue
        first[0].append((k[1] - received) * 1000)
        first[1].append((k[2] - k[1]) * 1000)
        w = last(STAGES["worker"], code, received, written)
        p = last(STAGES["post"], code, received, written)
        if w and p:
            for i, v in enumerate((w[1] - k[2], p[1] - w[1], written - p[1])):
                by_worker[i].append(v * 1000)
    for name, v in zip(common + worker_names, first + by_worker):
        print(f"    {name:<58} {R.summary(v)}")
    print(f"    {'engine blocked in _dispatch with a Register (all)':<58} {R.summary(dispatch_reg)}")


def one_mode(sim: R.SimProcess, tap: R.WireTap, dashboard: bool, args) -> dict:
    from kiwoom_cli.clock import KST

    events = R.EventTap()
    settings = R.run_settings(buy_amount=args.buy_amount)
    rig = R.build_engine(sim.rest_url, sim.ws_url, settings, events=events, feed=args.feed == "on")
    rig.engine.start()
    how = R.start_dashboard(rig) if dashboard else "off"
    if args.gc != "default":  # what kiwoom run does after start-up (cli/runner.py tune_gc)
        from kiwoom_cli.cli.runner import GC_GEN0_THRESHOLD, tune_gc

        tune_gc(None if args.gc == "freeze" else GC_GEN0_THRESHOLD if args.gc == "run" else int(args.gc))
        how += f"; gc {args.gc}"
    pushes: dict[str, list[float]] = {}  # code -> sim wall times of pushes
    n_reg = len(STAGES["dispatch_reg"])
    first_write = len(tap.writes)
    skipped = 0
    try:
        for mode, cycles in (("tick", args.cycles), ("quote", args.quote_cycles)):
            for _ in range(cycles):
                inst = [(c, p) for c, p, *_ in sim.instruments() if p <= args.buy_amount][: args.codes]
                codes = [c for c, _ in inst]
                if mode == "tick":
                    rig.engine.socket.register(codes)  # 0B for every code, outside the engine's view
                else:
                    time.sleep(3.2)  # every mark older than PRICE_MAX_AGE_S: the entry needs a quote
                for code, price in inst:
                    if mode == "tick":
                        before = dt.datetime.now(KST)
                        sim.set_prices([(code, price)])
                        marks = rig.engine.kernel.state.marks
                        if not wait(lambda c=code, b=before, ms=marks: (m := ms.get(c)) is not None and m.at >= b, 2):
                            print(f"  warning: no tick for {code}", file=sys.stderr)
                    n0 = len(tap.writes)
                    at = sim.push([(settings.buy_cond, code, "I")], args.push_delay)
                    got = tap.wait_for(lambda w, c=code, n=n0: any(x[3] == "kt10000" and R.body_code(x[4]) == c
                                                                   for x in w[n:]), 3)
                    pushes.setdefault(code, []).extend([at] if at is not None else sim.pushed())
                    skipped += not got
                    time.sleep(args.gap)  # let the ack and the fill go by before the next entry
                go_flat(rig)
                # the engine's REMOVEs go out on its socket-command thread: let them finish before this
                # rig registers the codes again directly, or a late REMOVE undoes that registration
                if not wait(lambda c=set(codes): not (rig.engine.socket.registered & c), 5, 0.01):
                    print("  warning: codes still registered after going flat", file=sys.stderr)
    finally:
        rig.close()
    how += R.dashboard_note(rig)
    how += "; orders: sent by the order worker; run feed and log " + args.feed
    if args.feed == "on":
        from kiwoom_cli.cli import runfeed

        how += f" (its thread waits {runfeed.AFTER_TURN_S * 1000:g} ms after a turn wakes it)"
    result = analyse(sim, tap.writes[first_write:], events.conditions, pushes, how, skipped)
    result["dispatch_reg"] = STAGES["dispatch_reg"][n_reg:]
    return result


def analyse(sim, writes, conditions, pushes, how, skipped) -> dict:
    offset = time.time() - time.monotonic()  # monotonic -> wall, for the cross-process figures
    sim_orders = [o for o in sim.order_log() if o["api_id"] == "kt10000"]
    rows = {"tick": [], "quote": []}
    tick_pairs = []
    quote_leg, wire_leg, e2e = {"tick": [], "quote": []}, [], {"tick": [], "quote": []}
    for mono, wall, thread, api_id, body in writes:
        if api_id != "kt10000":
            continue
        code = R.body_code(body)
        entry = max((c for c in conditions if c.code == code and c.entered and c.received <= mono),
                    key=lambda c: c.received, default=None)
        if entry is None:
            continue
        quotes = [x for x in writes if x[3] == "ka10095" and entry.received <= x[0] <= mono
                  and code in R.body_codes(x[4])]
        kind = "quote" if quotes else "tick"
        rows[kind].append((mono - entry.received) * 1000)
        if kind == "tick":
            tick_pairs.append((code, entry.received, mono))
        if quotes:
            quote_leg[kind].append((quotes[0][0] - entry.received) * 1000)
        sim_rx = min((o["time"] for o in sim_orders if o["body"].get("stk_cd") == code and o["time"] >= wall - 0.5),
                     default=None)
        if sim_rx is not None:
            wire_leg.append((sim_rx - wall) * 1000)
            pushed = max((p for p in pushes.get(code, []) if p <= entry.received + offset), default=None)
            if pushed is not None:
                e2e[kind].append((sim_rx - pushed) * 1000)
    return {"how": how, "rows": rows, "quote_leg": quote_leg, "wire": wire_leg, "e2e": e2e, "skipped": skipped,
            "tick_pairs": tick_pairs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=4, help="cycles priced by a live tick")
    ap.add_argument("--quote-cycles", type=int, default=2, help="cycles priced by a ka10095 quote")
    ap.add_argument("--codes", type=int, default=40, help="codes entered per cycle (at most the sim's 40)")
    ap.add_argument("--buy-amount", type=int, default=1_000_000)
    ap.add_argument("--gap", type=float, default=0.03, help="seconds between entries")
    ap.add_argument("--dashboard", choices=("both", "on", "off"), default="both")
    ap.add_argument("--switch-interval", type=float, default=5.0,
                    help="sys.setswitchinterval in ms (5: Python's default, which kiwoom run keeps)")
    ap.add_argument("--gc", default="run",
                    help="run (default): what kiwoom run does after start-up (freeze + its gen-0 threshold); "
                         "default: Python's GC untouched; freeze: gc.freeze() only; a number: freeze + that "
                         "gen-0 threshold")
    ap.add_argument("--baseline-n", type=int, default=200)
    ap.add_argument("--profile", action="store_true", help="cProfile the engine's entry handling and the order worker")
    ap.add_argument("--breakdown", action="store_true",
                    help="also stamp stage boundaries (wraps Kernel.handle, OrderWorker.handle, RestClient._post)")
    ap.add_argument("--push-delay", type=float, default=0.005,
                    help="seconds between asking the simulator for an entry and its push: the driver "
                         "(this main thread) is asleep again when the frame arrives instead of running "
                         "Python against the engine for the GIL, which kiwoom run has no thread doing; "
                         "0: push at once (the driver's wake-up then overlaps the measured path)")
    ap.add_argument("--live", action="store_true",
                    help="a moving market (the simulator's default tick rate) instead of a static one: the "
                         "engine handles the registered codes' ticks between entries, as in a session")
    ap.add_argument("--feed", choices=("on", "off"), default="on",
                    help="on: the run's JSON-lines feed and log on their writer thread, as kiwoom run wires "
                         "them (cli/runfeed.py); off: without them (what they cost the path)")
    ap.add_argument("--feed-wait", type=float, default=None,
                    help="ms the feed's thread waits after a turn wakes it (cli/runfeed.AFTER_TURN_S; "
                         "default: the run's)")
    ap.add_argument("--no-pin", action="store_true",
                    help="let this process and the simulator share every CPU (see _engine_rig.split_cpus)")
    args = ap.parse_args()
    if args.breakdown or args.profile:
        install_breakdown()
    if args.profile:
        import cProfile

        PROFILES.update({"kernel.handle(ConditionEvent)": cProfile.Profile(), "OrderWorker.handle": cProfile.Profile()})
    sys.setswitchinterval(args.switch_interval / 1000)
    if args.feed_wait is not None:
        from kiwoom_cli.cli import runfeed

        runfeed.AFTER_TURN_S = args.feed_wait / 1000
    print(R.machine_line())
    print("simulator: separate process, static market, rate limits OFF; entries sequential, "
          f"gap {args.gap * 1000:g} ms; dashboard module: {R.dashboard_status()}")
    dashes = {"both": (False, True), "on": (True,), "off": (False,)}[args.dashboard]
    tap = R.WireTap().install()
    gcw = R.GcWatch()
    results = []
    split = None if args.no_pin else R.split_cpus()
    print("CPUs: " + (f"this process {sorted(split[0])}, simulator {sorted(split[1])} (R.split_cpus)" if split
                      else "shared by this process and the simulator"))
    with R.SimProcess(rate_limit=None, cpus=split[1] if split else None, static=not args.live) as sim:
        if split:
            os.sched_setaffinity(0, split[0])
        for dash in dashes:
            results.append((dash, one_mode(sim, tap, dash, args)))
    base = R.polling_hop(50, args.baseline_n)
    print()
    print("all times in ms" + " " * 36 + "n     p50       p90       p99       max")
    for dash, r in results:
        print(f"-- dashboard {'ON' if dash else 'off'}: {r['how']}; entries without an order: {r['skipped']}")
        print(f"  read -> kt10000 written, priced by a held tick   {R.summary(r['rows']['tick'])}")
        print(f"  read -> kt10000 written, with ka10095 quote      {R.summary(r['rows']['quote'])}")
        print(f"     of which read -> ka10095 written              {R.summary(r['quote_leg']['quote'])}")
        print(f"  sim push -> sim got kt10000 (tick)               {R.summary(r['e2e']['tick'])}")
        print(f"  sim push -> sim got kt10000 (quote)              {R.summary(r['e2e']['quote'])}")
        print(f"  cross-check: our write -> sim handler receipt    {R.summary(r['wire'])}")
        if args.breakdown:
            print("  stages of the tick-priced path (wrappers add a few µs):")
            breakdown(r["tick_pairs"], r["dispatch_reg"])
        t50 = R.pct(r["rows"]["tick"], .5)
        t99 = R.pct(r["rows"]["tick"], .99)
        s50 = R.pct(r["e2e"]["tick"], .5)
        e50 = R.pct(r["e2e"]["quote"], .5)
        print(f"  targets: in-process p50 {t50:.3f} <= 1 {'OK' if t50 <= 1 else 'MISS'}, "
              f"p99 {t99:.3f} <= 3 {'OK' if t99 <= 3 else 'MISS'}; push -> sim got the order p50 {s50:.3f} <= 2.5 "
              f"{'OK' if s50 <= 2.5 else 'MISS'}; end to end with quote p50 {e50:.3f} < 5 "
              f"{'OK' if e50 < 5 else 'MISS'}")
    if args.profile:
        import pstats

        for name, prof in PROFILES.items():
            print(f"-- cProfile: {name} (all modes, cumulative)")
            pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(18)
    print(f"-- {gcw.line()}")
    b50 = R.pct(base, .5)
    print(f"-- baseline, polling design (wake every 10 ms, 1 msg/wake) one hop at 50 msg/s {R.summary(base)}")
    for dash, r in results:
        ours = R.pct(r["rows"]["tick"], .5)
        print(f"  ratio polling-hop p50 / our whole in-process path p50 (dashboard {'ON' if dash else 'off'}): "
              f"{b50 / ours:.0f}x")


if __name__ == "__main__":
    main()
