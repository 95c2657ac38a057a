"""Benchmark: five condition entries in the same second under the broker's rate limits (issue #5, docs/decisions.md §8).

    python benchmarks/burst.py [--bursts 1,2] [--scenarios together,spread,ticks]
                                              [--dashboard on|off]

The real Engine + SocketClient + RestClients (one shared client RateLimiter 1/s with the burst of
`rate_burst`, as a run has) against a SimServer in another process with the same limits on (1 req/s
per api-id, like the broker; whether its burst is 1 or 2 is unsettled, so both are run). The floor:
orders at t = 0, 1, 2, 3, 4 s with burst 1, or 0, 0, 1, 2, 3 s with burst 2. Printed figures only:
a benchmark never gates CI. Scenarios (the account is flat and the buckets full before each):
- together: five sim.push_condition in one simulator loop turn;
- spread:   five pushes 150 ms apart (all inside one second);
- ticks:    like together, but the engine already holds a live 0B tick for every code (no quote).
Per entry: arrival (ConditionEvent.received), ka10095 written, kt10000 written (WireTap: urllib3
send returned), the simulator's status for it; then the checks of docs/decisions.md §8: arrival order,
zero 429s, at most one quote request in flight, each order vs its floor (the first `burst`: their
entry; later ones: the token, first order + (i - burst + 1) s), within 50 ms.
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

RATE = 1.0  # req/s per api-id


def scenario(name: str, sim, rig, tap, events, codes_prices, settings) -> dict:
    from kiwoom_cli.clock import KST
    from kiwoom_cli.core import events as ev

    codes = [c for c, _ in codes_prices]
    if name == "ticks":
        rig.engine.socket.register(codes)
        before = dt.datetime.now(KST)
        sim.set_prices(codes_prices)
        marks = rig.engine.kernel.state.marks
        wait(lambda: all((m := marks.get(c)) is not None and m.at >= before for c in codes), 3)
    else:
        time.sleep(3.2)  # marks from earlier scenarios too old to price an entry (PRICE_MAX_AGE_S)
    n_writes, n_conds = len(tap.writes), len(events.conditions)
    sim.clear_logs()
    t_push = []
    if name == "spread":
        for c in codes:
            t_push.append(sim.push([(settings.buy_cond, c, "I")]))
            time.sleep(0.15)
    else:
        t_push.append(sim.push([(settings.buy_cond, c, "I") for c in codes]))
    # every code's order written (a rate-limited one is written again: its last write is the one placed)
    done = tap.wait_for(lambda w: len({R.body_code(x[4]) for x in w[n_writes:] if x[3] == "kt10000"}) >= len(codes), 15)
    wait(lambda: not rig.engine.kernel.state.retries, 10)  # no order still waiting to go again
    writes = tap.writes[n_writes:]
    conds = [c for c in events.conditions[n_conds:] if c.entered]
    time.sleep(0.3)  # acks and fills
    req_log, order_log = sim.request_log(), sim.order_log()
    for _ in range(15):  # again every 2 s: a buy not filled yet when SellAll arrived is not sellable
        rig.engine.put(ev.SellAll())
        if wait(lambda: not (s := rig.snapshot()).positions and not s.orders, 2, 0.1):
            break
    else:
        print("  warning: positions not flat", file=sys.stderr)
    return {"name": name, "codes": codes, "writes": writes, "conds": conds, "done": done,
            "req_log": req_log, "order_log": order_log, "t_push": t_push}


def report(r: dict, burst: int) -> bool:
    codes, writes, conds = r["codes"], r["writes"], r["conds"]
    arrival = {c.code: c.received for c in conds}
    t0 = min(arrival.values()) if arrival else 0.0
    orders = [(x[0], R.body_code(x[4])) for x in writes if x[3] == "kt10000"]
    quotes = [(x[0], R.body_codes(x[4])) for x in writes if x[3] == "ka10095"]
    order_at = {code: t for t, code in orders}
    first_order = min(order_at.values()) if order_at else 0.0
    sim_orders = {o["body"].get("stk_cd"): o for o in r["order_log"] if o["api_id"] == "kt10000"}
    statuses = [e["status"] for e in r["req_log"]]
    n429 = sum(1 for s in statuses if s == 429)
    by_api = {}
    for e in r["req_log"]:
        if e["status"] == 429:
            by_api[e.get("api_id")] = by_api.get(e.get("api_id"), 0) + 1
    print(f"\n-- scenario {r['name']}: {len(conds)} entries arrived over "
          f"{(max(arrival.values()) - t0) * 1000 if arrival else 0:.1f} ms; "
          f"{len(quotes)} ka10095 request(s) {[len(q[1]) for q in quotes]} codes each")
    print("   #  code     arrival  quote sent  order sent   floor   order-floor  sim rc  within 50 ms")
    ok_all = True
    for i, code in enumerate(codes):
        arr = arrival.get(code)
        q = next((t for t, cs in quotes if code in cs), None)
        o = order_at.get(code)
        floor = (arr if i < burst else max(arr, first_order + (i - burst + 1) / RATE)) if arr is not None else None
        late = (o - floor) * 1000 if (o is not None and floor is not None) else float("nan")
        ok = late <= 50
        ok_all &= ok
        rel = lambda t: f"{(t - t0) * 1000:9.1f}" if t is not None else "        -"
        rc = sim_orders.get(code, {}).get("return_code")
        print(f"  {i + 1:2d}  {code}  {rel(arr)}  {rel(q)}  {rel(o)}  {rel(floor)}  {late:9.1f} ms  {rc!s:>5}  "
              f"{'yes' if ok else 'NO'}")
    placed_order = [c for c, _ in sorted(order_at.items(), key=lambda kv: kv[1])]
    in_order = placed_order == [c for c in sorted(codes, key=lambda c: arrival.get(c, 1e18))]
    resent = len(orders) - len(order_at)
    arrived_order = sorted(codes, key=lambda c: arrival.get(c, 1e18)) == codes
    print(f"   orders in arrival order: {'yes' if in_order else 'NO'} (arrivals in push order: "
          f"{'yes' if arrived_order else 'no'}); simulator statuses: "
          f"{ {s: statuses.count(s) for s in sorted(set(statuses))} }; 429s: {n429}; "
          f"last order at {(max(order_at.values()) - t0) if order_at else float('nan'):.3f} s "
          f"(floor {(len(codes) - burst) / RATE:g} s with burst {burst})")
    offsets = ", ".join(f"{t - first_order:.3f}" for t in sorted(order_at.values()))
    print(f"   burst {burst}: order offsets from the first (s): {offsets}; 429s: {n429} {by_api or ''}; "
          f"orders resent: {resent}")
    return ok_all and in_order and n429 == 0 and r["done"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bursts", default="1,2", help="rate_burst values to run under (1: mock/real, 2: sim)")
    ap.add_argument("--scenarios", default="together,spread,ticks")
    ap.add_argument("--dashboard", choices=("on", "off"), default="on")
    ap.add_argument("--buy-amount", type=int, default=1_000_000)
    ap.add_argument("--switch-interval", type=float, default=5.0,
                    help="sys.setswitchinterval in ms (5: Python's default, which kiwoom run keeps)")
    args = ap.parse_args()
    sys.setswitchinterval(args.switch_interval / 1000)
    print(R.machine_line())
    tap = R.WireTap().install()
    verdicts = []
    for burst in (int(b) for b in args.bursts.split(",")):
        verdicts += [(burst, r, report(r, burst)) for r in run_burst(args, tap, burst)]
    print("\ntarget (docs/decisions.md §8): each order within 50 ms of its floor (entry for the first `burst`, the "
          "next token after), arrival order, zero 429s")
    for burst, r, ok in verdicts:
        print(f"  burst {burst}  {r['name']:<9} {'MET' if ok else 'MISSED'}")


def run_burst(args, tap, burst: int) -> list[dict]:
    limits = (RATE, burst)
    print(f"\n== rate_burst {burst}: simulator in a separate process, static market, rate limits ON "
          f"({RATE:g} req/s, burst {burst} per api-id); client RateLimiter{limits} shared by the engine's "
          "RestClients")
    results = []
    with R.SimProcess(rate_limit=limits) as sim:
        events = R.EventTap()
        settings = R.run_settings(buy_amount=args.buy_amount)
        rig = R.build_engine(sim.rest_url, sim.ws_url, settings, limits=limits, events=events)
        rig.engine.start()
        how = R.start_dashboard(rig) if args.dashboard == "on" else "off"
        print(f"dashboard: {how}")
        inst = [(c, p) for c, p, *_ in sim.instruments() if p <= args.buy_amount]
        try:
            for i, name in enumerate(args.scenarios.split(",")):
                picked = inst[i * 5 % len(inst):][:5]
                results.append(scenario(name, sim, rig, tap, events, picked, settings))
        finally:
            rig.close()
    print(f"dashboard at the end{R.dashboard_note(rig) or ': ok'}")
    return results


if __name__ == "__main__":
    main()
