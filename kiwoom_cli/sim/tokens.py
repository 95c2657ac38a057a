"""Access tokens: one valid token per app key; issuing a new one revokes the old (unverified: docs/protocol.md, Token)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from kiwoom_cli.sim.domain import SimAuthError

INVALID_TOKEN = "Token이 유효하지 않습니다"


@dataclass(slots=True)
class Token:
    app_key: str
    expires_at: dt.datetime

    def __repr__(self) -> str:  # never show the key
        return f"Token(expires_at={self.expires_at.isoformat()})"


class TokenStore:
    def __init__(self) -> None:
        self._by_token: dict[str, Token] = {}

    def __repr__(self) -> str:
        return f"TokenStore({len(self._by_token)} tokens)"

    def issue(self, app_key: str, now: dt.datetime, lifetime_s: float) -> tuple[str, dt.datetime]:
        """Issue a token for an app key, revoking any earlier one."""
        for token in [t for t, rec in self._by_token.items() if rec.app_key == app_key]:
            del self._by_token[token]
        token = secrets.token_urlsafe(64)
        # expires_dt on the wire has whole seconds: keep the same precision here
        expires_at = (now + dt.timedelta(seconds=lifetime_s)).replace(microsecond=0)
        self._by_token[token] = Token(app_key, expires_at)
        return token, expires_at

    def revoke(self, app_key: str, token: str) -> None:
        """Revoke a token of this app key; unknown -> SimAuthError 8015."""
        rec = self._by_token.get(token)
        if rec is None or rec.app_key != app_key:
            raise SimAuthError("8015", "Access Token 폐기에 실패했습니다")
        del self._by_token[token]

    def app_key(self, token: str, now: dt.datetime) -> str:
        """Return the app key of a live token; unknown/expired/revoked -> SimAuthError 8005."""
        rec = self._by_token.get(token)
        if rec is None or now >= rec.expires_at:
            raise SimAuthError("8005", INVALID_TOKEN)
        return rec.app_key

    def expire_all(self) -> None:
        self._by_token.clear()

    def to_list(self) -> list[dict]:
        return [
            {"token": t, "app_key": rec.app_key, "expires_at": rec.expires_at.isoformat()}
            for t, rec in self._by_token.items()
        ]

    @classmethod
    def from_list(cls, rows: list[dict]) -> TokenStore:
        store = cls()
        for row in rows:
            store._by_token[row["token"]] = Token(
                row["app_key"], dt.datetime.fromisoformat(row["expires_at"])
            )
        return store
