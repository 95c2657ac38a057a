"""One error tree, named by what the caller must do, and the one exit-code table (docs/decisions.md §6).

Only the CLI root turns these into exit codes. Messages must never carry secrets.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    REJECTED = 1  # the broker said no
    BAD_INPUT = 2  # bad input or config, incl. "confirmation needed" with no terminal
    AUTH = 3
    NETWORK = 4  # network or rate-limited after retries; nothing was sent
    OUTCOME_UNKNOWN = 5  # an order may have reached the broker: check `kiwoom orders`, never retry blindly
    ACCOUNT_BUSY = 6  # another run holds the account
    INTERNAL = 70  # a bug
    INTERRUPTED = 130  # Ctrl-C or declined at a prompt


class KiwoomError(Exception):
    """Base of every error we raise on purpose."""

    exit_code = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class BadInput(KiwoomError):
    """The user's input is wrong: fix it and try again. Nothing was sent."""

    exit_code = ExitCode.BAD_INPUT


class ConfigError(BadInput):
    """The configuration is wrong: fix the named key."""


class ConfirmationNeeded(BadInput):
    """A real-money action needs --yes or a terminal to confirm on."""


class Declined(KiwoomError):
    """The user said no at a prompt."""

    exit_code = ExitCode.INTERRUPTED


class ApiError(KiwoomError):
    """An error answer from the broker: `return_code` class plus the bracketed number (docs/protocol.md, Errors we act on)."""

    def __init__(
        self,
        message: str,
        *,
        return_code: int | None = None,
        code: str | None = None,
        api_id: str | None = None,
        http_status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.return_code = return_code
        self.code = code  # "8005", "1700", "RC4025", "800033" ...
        self.api_id = api_id
        self.http_status = http_status


class AuthError(ApiError):
    """Credentials or token refused: check the app key / secret (re-issue a token at most once)."""

    exit_code = ExitCode.AUTH


class TokenInvalid(AuthError):
    """The token was refused ([8005]): re-issue once, then give up."""


class BrokerRejected(ApiError):
    """The broker rejected the request (rc 20 / input errors): report it; do not retry."""

    exit_code = ExitCode.REJECTED


class TemporaryError(ApiError):
    """Network trouble or a server error: retrying later may work. Nothing was sent (for orders see OutcomeUnknown)."""

    exit_code = ExitCode.NETWORK


class CertificateFailed(ApiError):
    """The server's TLS certificate failed verification: nothing was sent. Fix the trust
    (ca_file / SSL_CERT_FILE); retrying the same connection cannot help."""

    exit_code = ExitCode.NETWORK


class RateLimited(TemporaryError):
    """HTTP 429 / rc 5 [1700]: wait for the bucket and retry (never for orders without reconciling)."""


class OutcomeUnknown(KiwoomError):
    """An order request may or may not have reached the broker. Settle it by a query; never resend blindly."""

    exit_code = ExitCode.OUTCOME_UNKNOWN


class AccountBusy(KiwoomError):
    """Another process (a `kiwoom run`) holds this account."""

    exit_code = ExitCode.ACCOUNT_BUSY
