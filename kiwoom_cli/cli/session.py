"""The one composition root: the broker adapter for one command or one `kiwoom run`, built from the
Config (docs/decisions.md §2, §4, docs/architecture.md §1).

    with broker_address(config) as address:      # where the broker is (sim: found or started)
        broker = Broker(config, address, clock)  # endpoint + TLS trust, credentials, tokens, limiter
        rest = broker.rest()                     # one RestClient per thread, on the shared pieces

One-shot commands take a Session on it:

    with open_session(ctx.obj.config()) as session:
        session.rest.cash()
        session.socket()          # started on first use; refused while a `kiwoom run` holds the account
        session.orders()          # the one order service, journaling to this mode/account's journal

`kiwoom run` (cli/runner.py) asks the same `broker_address` and `Broker` for its clients.
In sim mode with no rest_url the command talks to a running `kiwoom sim` (sim.json) or to an
embedded simulator on the persisted paper account, started for the length of the command.
"""

from __future__ import annotations

import contextlib
import os
import queue
from collections.abc import Iterator
from typing import NamedTuple

from kiwoom_cli.clock import Clock, SystemClock
from kiwoom_cli.config import Config
from kiwoom_cli.errors import AccountBusy, ConfigError

REST_TIMEOUT_S = 10.0  # an order with no answer in this time is OutcomeUnknown (never resent)


class Address(NamedTuple):
    """Where the broker is; `ca_file` names a TLS simulator's own CA (like sim.embedded.SimAddress)."""

    rest_url: str
    ws_url: str | None
    ca_file: str | None = None


def journal_account(config: Config) -> str:
    """Name the journal of this config's account: the account number, else "paper" (sim) / "default"."""
    return config.account or ("paper" if config.mode == "sim" else "default")


def rate_limiter(config: Config, clock: Clock):
    """The process's one RateLimiter: 1 req/s per api-id, burst `rate_burst` (sim: its own limit if lower)."""
    from kiwoom_cli.kiwoom.ratelimit import RateLimiter

    if config.mode != "sim":
        return RateLimiter(1.0, config.rate_burst, clock=clock)
    if not config.sim.rate_limit:
        return None
    rate, burst = config.sim.rate_limit
    return RateLimiter(rate, min(burst, config.rate_burst), clock=clock)


def run_holder() -> int | None:
    """Return the pid of a `kiwoom run` (another process) holding the account, else None."""
    from kiwoom_cli.core import lock

    pid = lock.holder_pid()
    return None if pid is None or pid == os.getpid() else pid


class Broker:
    """The broker adapter's shared pieces, built once per command or run: the Endpoint (its TLS trust
    loaded), the credentials, one TokenStore (shared with other processes) and one RateLimiter."""

    def __init__(self, config: Config, address: Address, clock: Clock) -> None:
        from kiwoom_cli.kiwoom.endpoint import Credentials
        from kiwoom_cli.kiwoom.tokens import TokenStore
        from kiwoom_cli.paths import state_dir

        self.config = config
        self.clock = clock
        self.endpoint = broker(config, address.rest_url, address.ws_url or "", address.ca_file)
        creds = config.credentials
        self.credentials = Credentials(creds.app_key, creds.app_secret)
        self.tokens = TokenStore(state_dir() / "tokens", clock)
        self.limiter = rate_limiter(config, clock)

    def rest(self, timeout: float | None = None):
        """A new RestClient on the shared token store and limiter (one per thread, docs/decisions.md §2)."""
        from kiwoom_cli.kiwoom.rest import RestClient

        return RestClient(self.endpoint, self.credentials, tokens=self.tokens, clock=self.clock,
                          limiter=self.limiter, timeout=REST_TIMEOUT_S if timeout is None else timeout,
                          exchange=self.config.exchange)

    def socket(self, token, events, *, cls=None, **options):
        """A SocketClient (or the subclass `cls`) on this endpoint; not started."""
        from kiwoom_cli.kiwoom.socket import SocketClient

        return (cls or SocketClient)(self.endpoint, token, events, clock=self.clock, **options)


class Session:
    """REST client now; socket, journal and order service on first use; everything closed at the end."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self.config = broker.config
        self.clock = broker.clock
        self.endpoint = broker.endpoint
        self._credentials = broker.credentials
        self.tokens = broker.tokens
        # The broker's limits (1 req/s per api-id, burst `rate_burst`) bind one-shot commands too.
        self.rest = broker.rest()
        self.events: queue.Queue = queue.Queue()
        self._socket = None
        self._journal = None
        self._orders = None

    def socket_allowed(self) -> int | None:
        """Return None when this command may log in on the socket, else the pid of the run holding it."""
        return run_holder()

    def socket(self):
        """Return the logged-in SocketClient (started on first use); AccountBusy while a run holds the account."""
        if self._socket is not None:
            return self._socket
        pid = run_holder()
        if pid is not None:
            who = f"pid {pid}" if pid > 0 else "another process"
            raise AccountBusy(
                f"`kiwoom run` ({who}) holds the account and its one WebSocket login",
                hint="stop the run first, or use its dashboard",
            )
        if not self.endpoint.ws_url:
            raise ConfigError(f'mode "{self.config.mode}": rest_url is set but ws_url is not. '
                              "Allowed: both rest_url and ws_url (or KIWOOM_REST_URL and KIWOOM_WS_URL)")
        def token(force: bool) -> str:
            if force:  # the socket's LOGIN refused the cached token: drop it so a fresh one is issued
                self.tokens.discard(self.endpoint.mode, self._credentials.app_key)
            return self.rest.token()

        client = self._broker.socket(token, self.events, reconnect=False)
        client.start()
        self._socket = client
        return client

    def journal(self):
        """Return this mode/account's journal (opened on first use)."""
        if self._journal is None:
            from kiwoom_cli.core.journal import Journal

            # commits a killed run's last order turn left by the previous release (core/journal/legacy_ahead.py)
            self._journal = Journal.open_for(self.config.mode, journal_account(self.config))
            if self._journal.ahead_set_aside:  # a damaged record, moved aside and never executed
                from kiwoom_cli.cli.output import note

                note(f"kiwoom: warning: {self._journal.ahead_set_aside}")
        return self._journal

    def orders(self):
        """Return the order service, journaling to this account's journal."""
        if self._orders is None:
            from kiwoom_cli.core.orders import OrderService

            run = self.config.run  # a manual buy passes the run's checks (core/pretrade.py)
            self._orders = OrderService(self.rest, self.journal(), self.clock,
                                        costs=self.config.costs_on(self.clock.now().date()),
                                        max_order_value=run.max_order_value, max_daily_loss=run.max_daily_loss,
                                        check_cash=True)
        return self._orders

    def close(self) -> None:
        """Stop the socket, close the journal and the HTTP session."""
        try:
            if self._socket is not None:
                self._socket.stop()
                self._socket = None
        finally:
            try:
                if self._journal is not None:
                    self._journal.close()
                    self._journal = None
            finally:
                self.rest.close()


def broker(config: Config, rest_url: str, ws_url: str, sim_ca: str | None = None):
    """The kiwoom Endpoint: a TLS simulator's own CA alone (sim.json), else certifi + SSL_CERT_FILE + ca_file.

    Over https/wss the trust is loaded here, before anything is sent, so a broken SSL_CERT_FILE is exit 2.
    """
    from kiwoom_cli.kiwoom import tls
    from kiwoom_cli.kiwoom.endpoint import Endpoint

    if sim_ca is not None:
        endpoint = Endpoint(config.mode, rest_url, ws_url, ca_file=sim_ca, ca_only=True)
    else:
        endpoint = Endpoint(config.mode, rest_url, ws_url, ca_file=config.ca_file)
    if any(u.startswith(("https:", "wss:")) for u in (rest_url, ws_url)):
        tls.for_endpoint(endpoint)
    return endpoint


@contextlib.contextmanager
def broker_address(config: Config, *, run: bool = False) -> Iterator[Address]:
    """Yield the Address (in sim mode the simulator's SimAddress, with the same attributes).

    In sim mode with no rest_url: the simulator a sim-mode command finds or starts; a run publishes
    it in sim.json so one-shot commands use this run's simulator (docs/decisions.md §2). A run needs
    both URLs; a one-shot command needs rest_url (its socket checks ws_url on first use).
    """
    if config.mode == "sim" and not config.rest_url:
        from kiwoom_cli.config import sim_config
        from kiwoom_cli.sim.embedded import connect_sim

        with connect_sim(sim_config(config), publish_urls=run, tls=config.sim.tls) as found:
            yield found
        return
    ep = config.endpoint()
    if run and (not ep.rest_url or not ep.ws_url):
        raise ConfigError(f'mode "{config.mode}" needs both rest_url and ws_url. '
                          "Allowed: both URLs (or KIWOOM_REST_URL and KIWOOM_WS_URL), or neither")
    if not ep.rest_url:
        raise ConfigError(f'mode "{config.mode}" has no rest_url. '
                          "Allowed: an http(s) URL in rest_url / KIWOOM_REST_URL")
    yield Address(ep.rest_url, ep.ws_url)


@contextlib.contextmanager
def open_session(config: Config, *, clock: Clock | None = None) -> Iterator[Session]:
    """Yield the Session of one command; in sim mode with no rest_url, inside the simulator it found or started."""
    with broker_address(config) as address:
        session = Session(Broker(config, address, clock or SystemClock()))
        try:
            yield session
        finally:
            session.close()
