"""Find or start the simulator for a sim-mode command (docs/decisions.md §2, §4).

- `kiwoom sim` (and a run's embedded simulator) publish state_dir()/sim.json {pid, rest_url, ws_url},
  plus ca_file when it serves TLS (`--tls`, [sim] tls): clients then trust exactly that CA.
- Other sim-mode commands use those URLs while that pid is alive and answers; otherwise they start
  an in-process SimServer on the persisted paper account (state_dir()/sim/paper.json) for the
  length of the command, holding an exclusive lock on the account (a sibling .lock file: the
  state file itself is replaced atomically on every save, so a lock on its inode would not hold).
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from kiwoom_cli.errors import AccountBusy
from kiwoom_cli.paths import ensure_private_dir, state_dir, write_private
from kiwoom_cli.sim.domain import SimConfig


class SimAddress(tuple):
    """(rest_url, ws_url) of a simulator; `ca_file` names the CA to trust when it serves TLS."""

    def __new__(cls, rest_url: str, ws_url: str, ca_file: str | None = None) -> SimAddress:
        address = super().__new__(cls, (rest_url, ws_url))
        address.ca_file = ca_file
        return address

    @property
    def rest_url(self) -> str:
        return self[0]

    @property
    def ws_url(self) -> str:
        return self[1]


def sim_json_path() -> Path:
    return state_dir() / "sim.json"


def ca_path() -> Path:
    """Where a TLS simulator writes its CA certificate (a new CA every start)."""
    return ensure_private_dir(state_dir() / "sim") / "ca.pem"


def paper_path() -> Path:
    """The persisted paper account of the embedded / standalone simulator."""
    return ensure_private_dir(state_dir() / "sim") / "paper.json"


def pid_alive(pid: int) -> bool:
    """Tell whether a process with this pid exists (without signalling it)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
            return True
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(found: SimAddress, timeout: float = 2.0) -> bool:
    """A recycled pid could name another program: ask the simulator's health endpoint too."""
    parts = urlsplit(found.rest_url)
    if not parts.hostname or parts.scheme not in ("http", "https") or (parts.scheme == "https") != bool(found.ca_file):
        return False
    try:
        if parts.scheme == "https":  # trusting exactly the CA it published
            import ssl

            context = ssl.create_default_context(cafile=found.ca_file)
            conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    except (OSError, ValueError):  # the CA file is gone or damaged
        return False
    try:
        conn.request("GET", "/sim/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def running_sim() -> SimAddress | None:
    """Return the address of a live published simulator, else None."""
    path = sim_json_path()
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        pid = int(info["pid"])
        ca_file = info.get("ca_file")
        found = SimAddress(str(info["rest_url"]), str(info["ws_url"]), str(ca_file) if ca_file else None)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if pid_alive(pid) and _answers(found):
        return found
    return None


def publish(rest_url: str, ws_url: str, ca_file: str | None = None) -> Path:
    """Write sim.json for this process (0600, atomic); ca_file names a TLS simulator's CA."""
    path = sim_json_path()
    data = {"pid": os.getpid(), "rest_url": rest_url, "ws_url": ws_url}
    if ca_file:
        data["ca_file"] = ca_file
    write_private(path, json.dumps(data).encode("utf-8"))
    return path


def address_of(sim) -> SimAddress:
    """The address of a started SimServer."""
    return SimAddress(sim.rest_url, sim.ws_url, sim.ca_file)


def unpublish() -> None:
    """Remove sim.json if it is still ours."""
    path = sim_json_path()
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


@contextlib.contextmanager
def account_lock(state_path: Path) -> Iterator[IO[bytes]]:
    """Hold an exclusive, non-blocking lock on a paper account; AccountBusy when another holds it."""
    lock_path = state_path.with_name(state_path.name + ".lock")
    ensure_private_dir(lock_path.parent)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fh = os.fdopen(fd, "r+b")
    try:
        try:
            _lock(fh)
        except OSError:
            raise AccountBusy(
                f"the paper account {state_path} is in use by another kiwoom process",
                hint="wait for it to finish, or start `kiwoom sim` once and let commands share it",
            ) from None
        try:
            yield fh
        finally:
            _unlock(fh)
    finally:
        fh.close()


def _lock(fh: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(fh: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def connect_sim(config: SimConfig | None = None, *, publish_urls: bool = False,
                tls: bool = False) -> Iterator[SimAddress]:
    """Yield the address of the simulator a sim-mode command should talk to.

    A live published simulator wins; else an in-process SimServer runs on the paper account
    (config.state_path, default paper_path()) under the account lock until the block ends,
    serving TLS with a CA of its own when `tls`. `publish_urls` (for `kiwoom run`) publishes
    sim.json while it runs.
    """
    found = running_sim()
    if found is not None:
        yield found
        return
    from kiwoom_cli.sim.server import SimServer

    config = config or SimConfig()
    if config.state_path is None:
        config = dataclasses.replace(config, state_path=str(paper_path()))
    with account_lock(Path(config.state_path)):
        if tls:
            from kiwoom_cli.sim import certs

            server = SimServer(config, tls=certs.make(ca_path()))
        else:
            server = SimServer(config)
        with server as sim:
            if publish_urls:
                publish(sim.rest_url, sim.ws_url, sim.ca_file)
            try:
                yield address_of(sim)
            finally:
                if publish_urls:
                    unpublish()
