"""What a SocketClient wants registered: restored on every new connection (docs/architecture.md §7)."""

from __future__ import annotations

import collections
import threading
import time
from typing import Sequence

from kiwoom_cli.kiwoom import protocol

MAX_REG_ITEMS = 100  # per REG frame (RF's assertion; no REST document gives a limit: unverified)


class Wanted:
    """Thread-safe record of real-time registrations, account events and condition subscriptions."""

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix  # REG items carry the run's venue: "_NX", "_AL" or "" (kiwoom/venues.py)
        self._lock = threading.Lock()
        self._types: dict[str, set[str]] = {}  # code -> real-time types
        self.account = False
        self._conditions: dict[str, None] = {}  # seqs, in subscription order

    def codes(self) -> set[str]:
        """Return the codes with at least one wanted type."""
        with self._lock:
            return set(self._types)

    def snapshot(self) -> tuple[dict[str, set[str]], bool]:
        """Return a copy of (code -> types, account) to roll back to."""
        with self._lock:
            return {code: set(types) for code, types in self._types.items()}, self.account

    def roll_back(self, snapshot: tuple[dict[str, set[str]], bool]) -> None:
        """Return to a snapshot (the broker refused what was added after it)."""
        with self._lock:
            self._types, self.account = snapshot

    def add(self, codes: Sequence[str], types: Sequence[str]) -> None:
        with self._lock:
            for code in codes:
                self._types.setdefault(code, set()).update(types)

    def remove(self, codes: Sequence[str], types: Sequence[str]) -> None:
        with self._lock:
            for code in codes:
                left = self._types.get(code, set()) - set(types)
                if left:
                    self._types[code] = left
                else:
                    self._types.pop(code, None)

    def set_account(self) -> None:
        with self._lock:
            self.account = True

    def add_condition(self, seq: str) -> None:
        with self._lock:
            self._conditions[seq] = None

    def remove_condition(self, seq: str) -> None:
        with self._lock:
            self._conditions.pop(seq, None)

    def restore_frames(self) -> list[dict]:
        """Frames that rebuild everything on a fresh connection: REGs, then CNSRLST + CNSRREQ type 1."""
        with self._lock:
            groups: dict[tuple[str, ...], list[str]] = {}
            for code, types in self._types.items():
                groups.setdefault(tuple(sorted(types)), []).append(code)
            account, seqs = self.account, list(self._conditions)
        frames = [protocol.account_reg_frame()] if account else []
        for types, codes in groups.items():
            frames.extend(reg_frames(codes, types, suffix=self.suffix))
        if seqs:  # the spec asks for the condition list before a real-time search
            frames.append(protocol.cnsrlst_frame())
            frames.extend(protocol.cnsrreq_frame(seq, "1") for seq in seqs)
        return frames


class Restore:
    """What a fresh connection's restore still owes: acks, and the CNSRREQs held back until the
    CNSRLST answer is in (the spec, ka10173: the real-time search works only after the list).

    Used by the socket's reader thread; requesters only wait on `settled`."""

    def __init__(self) -> None:
        self._owed: collections.Counter = collections.Counter()
        self._after_list: list[dict] = []
        self._deadline: float | None = None
        self.settled = threading.Event()  # no restore in flight: requests may go
        self.settled.set()

    def begin(self, frames: list[dict], timeout: float) -> list[dict]:
        """Start a restore of `frames`; return the ones to send now (every CNSRREQ waits)."""
        first = next((i for i, f in enumerate(frames) if f["trnm"] == "CNSRREQ"), len(frames))
        now, self._after_list = frames[:first], frames[first:]
        self._owed = collections.Counter(frame["trnm"] for frame in now)
        if frames:
            self.settled.clear()
            self._deadline = time.monotonic() + timeout
        return now

    def owes(self, trnm: str) -> bool:
        return self._owed[trnm] > 0

    def acked(self, trnm: str) -> list[dict]:
        """Count one ack; return the frames that may go now (the CNSRREQs, after CNSRLST's)."""
        self._owed[trnm] -= 1
        if trnm != "CNSRLST":
            return []
        due, self._after_list = self._after_list, []
        self._owed.update(frame["trnm"] for frame in due)
        return due

    @property
    def done(self) -> bool:
        return not +self._owed and not self._after_list

    def overdue(self) -> bool:
        return self._deadline is not None and time.monotonic() > self._deadline

    def finish(self) -> None:
        """Done, or abandoned with its connection: nothing is owed, requests may go (or fail fast)."""
        self._owed.clear()
        self._after_list, self._deadline = [], None
        self.settled.set()


def reg_frames(codes: Sequence[str], types: Sequence[str], *, remove: bool = False,
               suffix: str = "") -> list[dict]:
    """Split a registration into frames of at most MAX_REG_ITEMS codes, each item code + suffix."""
    build = protocol.remove_frame if remove else protocol.reg_frame
    items = [code + suffix for code in codes]
    return [build(items[i : i + MAX_REG_ITEMS], types) for i in range(0, len(items), MAX_REG_ITEMS)]
