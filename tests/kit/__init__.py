"""The shared test kit: one copy of each fixture and rig, imported by every test folder.

- helpers.py   wait_until (bounded polling, for what only polling can observe), fixture files
- sim.py       the simulator on 127.0.0.1 port 0, the one pair of fake keys, our REST client to it,
               faults, and what it saw (requests, orders, subscriptions, an instrument's prices)
- fixtures.py  the pytest fixtures: `sim`, `sim_clock`, `clock` for every folder (tests/conftest.py);
               `api`, `token`, `clients`, `client` where a folder's conftest imports them
- wire.py      hand-spoken REST and WebSocket clients (not ours), for testing the simulator itself
- events.py    what our SocketClient puts on its queue, waited on
- core.py      builders and a Driver for the pure core (a Kernel on a ManualClock)
- engine.py    an Engine on a running simulator with the real clients (`engine_on`), `snapshot`
- cli.py       mock mode's environment, `kiwoom` in this process or as the installed console script
- run.py       a real `kiwoom run` child process, its JSON lines waited on (`Run`)

A folder's conftest.py keeps only what is local to that folder.
"""
