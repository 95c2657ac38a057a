"""The shared test kit: one copy of each fixture and rig, imported by every test folder.

- helpers.py   wait_until (bounded polling, for what only polling can observe), fixture files
- sim.py       the simulator on 127.0.0.1 port 0, the keys mock mode is given, a REST client to it,
               faults, and what it saw (requests, orders, subscriptions, an instrument's prices)
- fixtures.py  the pytest fixtures every folder gets from tests/conftest.py (`sim`, `clock`, ...)
- wire.py      hand-spoken REST and WebSocket clients (not ours), for testing the simulator itself
- engine.py    an Engine on a running simulator with the real clients (`engine_on`), `snapshot`
- run.py       a real `kiwoom run` child process, its JSON lines waited on (`Run`)
- cli.py       `kiwoom` in this process (`kiwoom`) or as the installed console script

A folder's conftest.py keeps only what is local to that folder.
"""
