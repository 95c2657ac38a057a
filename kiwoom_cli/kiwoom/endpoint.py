"""Where a mode's broker is, and the keys to it (secrets are redacted from every repr)."""

from __future__ import annotations

from dataclasses import dataclass, field

WS_PATH = "/api/dostk/websocket"


@dataclass(frozen=True)
class Endpoint:
    """A broker's REST base URL and WebSocket URL for one mode ("sim" | "mock" | "real")."""

    mode: str
    rest_url: str
    ws_url: str
    ca_file: str | None = None  # extra CAs to trust (kiwoom/tls.py), or with ca_only the one CA
    ca_only: bool = False  # trust ca_file alone: a `kiwoom sim --tls` simulator's own CA

    def __post_init__(self) -> None:
        object.__setattr__(self, "rest_url", self.rest_url.rstrip("/"))


REAL = Endpoint("real", "https://api.kiwoom.com", f"wss://api.kiwoom.com:10000{WS_PATH}")
MOCK = Endpoint("mock", "https://mockapi.kiwoom.com", f"wss://mockapi.kiwoom.com:10000{WS_PATH}")


@dataclass(frozen=True)
class Credentials:
    """An app key and its secret key. Never printed: repr and str show only a redaction."""

    app_key: str = field(repr=False)
    secret_key: str = field(repr=False)

    def __repr__(self) -> str:
        return "Credentials(app_key=<redacted>, secret_key=<redacted>)"

    __str__ = __repr__
