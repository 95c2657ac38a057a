"""`kiwoom order buy|sell|amend|cancel` and `kiwoom orders`.

Everything the user typed is checked before anything is sent; the price against the tick grid
and the day's limits from a quote, and a buy against the run's own checks (core/pretrade.py: the
day's loss, max_order_value, the orderable cash); a failed check exits 2. Real mode shows exactly what will be sent and asks once
(unless --yes). Then the order is followed for --wait seconds and its fills reported.
"""

from __future__ import annotations

import sys

import typer

from kiwoom_cli.cli.output import emit_json, note, say, show
from kiwoom_cli.core.order_states import OrderState
from kiwoom_cli.errors import BadInput, BrokerRejected, ConfirmationNeeded, Declined
from kiwoom_cli.models import Side

order_app = typer.Typer(help="Place, amend and cancel orders.", no_args_is_help=True)
# "-5" must reach QTY as text (and get a clear message), not be taken for an option.
_ARGS = {"ignore_unknown_options": True}

MAX_WAIT_S = 3600.0  # following an order longer than an hour is a job for `kiwoom orders`
WAIT_HELP = "Follow the order for this many seconds and report fills (0: do not follow)."
EXCHANGE_HELP = "KRX, NXT or SOR (default: the exchange setting, KRX)."


def register(app: typer.Typer) -> None:
    """Add the `order` sub-app and the `orders` command to the root app."""
    app.add_typer(order_app, name="order")
    app.command("orders")(orders)


# --------------------------------------------------------------------------- input


def parse_price(text: str | None, option: str = "--price") -> int | None:
    """Parse a price in won ("97500", "97,500"); BadInput for anything else."""
    if text is None:
        return None
    from kiwoom_cli import inputs

    return inputs.price(text, option)


def _pricing(price: str | None, market: bool, ticks: int | None) -> int | None:
    value = parse_price(price)
    if market and (value is not None or ticks):
        raise BadInput("--market cannot be combined with --price or --ticks")
    if not market and value is None and ticks is None:
        raise BadInput("say how to price the order",
                       hint="--price P (limit), --ticks N (limit N ticks from the current price) or --market")
    return value


# --------------------------------------------------------------------------- confirmation


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def confirm_real(config, lines: list[str], yes: bool) -> None:
    """In real mode, show what will be sent and ask once; no terminal and no --yes -> ConfirmationNeeded."""
    if config.mode != "real" or yes:
        return
    if not _interactive():
        raise ConfirmationNeeded("a real-money order needs confirmation and there is no terminal to ask on",
                                 hint="add --yes to send it")
    for line in lines:
        note(line)
    if not typer.confirm("Send this order?", default=False, err=True):
        raise Declined("declined: nothing was sent")


def _describe(intent, config, endpoint) -> list[str]:
    from kiwoom_cli.core import events as ev

    where = f"{config.mode} account {config.account or ''} at {endpoint.rest_url}".replace("  ", " ")
    if isinstance(intent, ev.PlaceOrder):
        api = "kt10000" if intent.side is Side.BUY else "kt10001"
        how = "market order" if intent.price is None else f"limit {intent.price:,} won"
        lines = [f"About to send to the {where}:",
                 f"  {api} {intent.side.value.upper()} {intent.name} ({intent.code}) qty {intent.qty:,}, {how}"]
        ref = intent.price or intent.ref_price
        lines.append(f"  about {intent.qty * ref:,} won before costs (now {intent.ref_price:,}; "
                     f"limits {intent.lower:,} to {intent.upper:,})")
        return lines
    if isinstance(intent, ev.AmendOrder):
        return [f"About to send to the {where}:",
                f"  kt10002 AMEND order {intent.order_no} ({intent.code}) qty {intent.qty:,} to {intent.price:,} won"]
    qty = "all remaining" if not intent.qty else f"qty {intent.qty:,}"
    return [f"About to send to the {where}:", f"  kt10003 CANCEL order {intent.order_no} ({intent.code}) {qty}"]


# --------------------------------------------------------------------------- following


def _prepare_follow(session, wait: float) -> str | None:
    """Log in and register account events before sending; return "socket", "rest" or None."""
    if wait <= 0:
        return None
    pid = session.socket_allowed()
    if pid is not None:
        note(f"following over REST: `kiwoom run` (pid {pid}) holds the account's socket")
        return "rest"
    from kiwoom_cli.errors import TemporaryError

    try:
        session.socket().register_account()
    except TemporaryError as exc:  # the order itself goes over REST: do not give it up for this
        note(f"following over REST: socket unavailable ({exc})")
        return "rest"
    return "socket"


def _follow(session, how: str | None, order_no: str, code: str, kind: str, qty: int, wait: float,
            quiet: bool, target_no: str | None = None):
    """Follow `order_no` (the ack's number); over REST a cancel is seen as its target leaving the open list."""
    from kiwoom_cli.cli import follow

    if how is None:
        return None

    def on_fill(fill, progress) -> None:
        if not quiet:
            say(f"  filled {fill.qty:,} @ {fill.price:,}  ({progress.filled:,}/{qty:,})" if qty
                else f"  filled {fill.qty:,} @ {fill.price:,}")

    monotonic = session.clock.monotonic
    if how == "socket":
        return follow.follow_events(session.events, order_no, kind, wait, monotonic, on_fill)
    rest_no = target_no if kind == "cancel" and target_no else order_no
    return follow.follow_rest(session.rest, rest_no, code, kind, qty, wait, monotonic, on_fill)


def _finish(progress, kind: str, qty: int, wait: float, quiet: bool) -> None:
    if progress is None or quiet:
        return
    if progress.status == "filled":
        total = sum(f.qty * f.price for f in progress.fills)
        avg = f", average {total / progress.filled:,.0f}" if progress.filled else ""
        say(f"Filled {progress.filled:,} of {qty:,}{avg}.")
    elif progress.status == "open":
        left = progress.remaining if progress.remaining is not None else "?"
        extra = f" ({progress.reason})" if progress.reason else ""
        say(f"Still open after {wait:g}s: {left} of {qty:,} remaining{extra}; see `kiwoom orders`.")
    elif progress.status == "confirmed":
        say(f"{'Amend' if kind == 'amend' else 'Cancel'} confirmed.")
    elif progress.status in ("cancelled", "closed"):
        say(f"Order {progress.status}: {progress.filled:,} of {qty:,} filled.")


_CLOSED = {"filled": OrderState.FILLED, "cancelled": OrderState.CANCELLED, "rejected": OrderState.REJECTED,
           "closed": OrderState.GONE}  # the followed order's word -> the journal's state


def _settle(service, intent, progress) -> None:
    """Write how the followed order ended into the journal, so a later run does not wait for it."""
    from kiwoom_cli.core import events as ev

    if progress is None:
        return
    if isinstance(intent, ev.PlaceOrder) and progress.status in _CLOSED:
        service.settle(intent.intent_id, _CLOSED[progress.status], progress.reason)
    elif isinstance(intent, ev.CancelOrder) and not intent.qty and progress.status == "confirmed":
        service.settle(intent.target_id, OrderState.CANCELLED, "cancelled by `kiwoom order cancel`")


def _check_progress(progress) -> None:
    if progress is not None and progress.status == "rejected":
        raise BrokerRejected(f"order {progress.order_no} rejected after acceptance: {progress.reason or 'no reason given'}")


def _result(intent, ack, progress) -> dict:
    doc = {"intent_id": intent.intent_id, "order_no": ack.order_no, "orig_order_no": ack.orig_order_no,
           "request": intent}
    if progress is not None:
        doc.update(status=progress.status, filled=progress.filled, remaining=progress.remaining,
                   fills=progress.fills, followed_via=progress.via)
        if progress.reason:
            doc["reason"] = progress.reason
    else:
        doc["status"] = "accepted"
    return doc


def _journal_fills(session, service, fills=None, *, say_so: bool = False) -> None:
    """Journal the fills of earlier manual orders the journal lacks (core/manualfills.py), before
    this command's checks: the day's loss counts them. `kiwoom orders` lists them (say_so); an
    order command keeps its output (and an error's one line) as it was: the journal has them.
    While a run holds the account it alone journals fills (it may hold these orders too): its next
    start journals them (docs/decisions.md §7)."""
    if session.socket_allowed() is not None:
        return
    for f in service.journal_fills(fills):
        if not say_so:
            continue
        note(f"journaled a fill of manual order {f.order_no}: {f.side.value} {f.code} {f.qty:,} @ {f.price:,}"
             + (f", realised {f.realised:+,.0f}" if f.side is Side.SELL else ""))


# --------------------------------------------------------------------------- commands


def _exchange_option():
    return typer.Option(None, "--exchange", help=EXCHANGE_HELP, show_default=False)


def _place(ctx: typer.Context, side: Side, code: str, qty: str, price: str | None, market: bool,
           ticks: str | None, wait: float, yes: bool, as_json: bool, exchange: str | None = None) -> None:
    from kiwoom_cli import inputs
    from kiwoom_cli.cli.session import open_session
    from kiwoom_cli.core import venue
    from kiwoom_cli.core.orders import check_code, check_qty

    code, quantity, ticks = check_code(code), check_qty(qty), inputs.ticks(ticks)
    limit = _pricing(price, market, ticks)
    config = ctx.obj.config(exchange=exchange)
    with open_session(config) as session:
        if market:
            venue.check_manual_market(config.exchange, session.clock.now())
        venue.check_nxt_listed(config.exchange, code, session.rest.stock_info)
        service = session.orders()
        _journal_fills(session, service)
        intent = service.prepare_place(side, code, quantity, limit, ticks=ticks)
        confirm_real(config, _describe(intent, config, session.endpoint), yes)
        how = _prepare_follow(session, wait)
        ack = service.execute(intent)
        if not as_json:
            how_priced = "market" if intent.price is None else f"{intent.price:,}"
            say(f"Order {ack.order_no} accepted: {side.value} {intent.name} ({code}) {quantity:,} @ {how_priced}")
        progress = _follow(session, how, ack.order_no, code, "place", quantity, wait, as_json)
        _settle(service, intent, progress)
    if as_json:
        emit_json(_result(intent, ack, progress))
    _finish(progress, "place", quantity, wait, as_json)
    _check_progress(progress)


def _qty_option():
    return typer.Option(None, "--qty", help="Shares to change (default: all remaining).")


def _side_command(side: Side):
    """Build `order buy` / `order sell`: one signature, so the two can never drift apart."""

    def command(
        ctx: typer.Context,
        code: str = typer.Argument(..., help="6-digit stock code, e.g. 005930."),
        qty: str = typer.Argument(..., help="Number of shares."),
        price: str | None = typer.Option(None, "--price", help="Limit price in won (on the tick grid)."),
        market: bool = typer.Option(False, "--market", help="Market order."),
        ticks: str | None = typer.Option(None, "--ticks", help="Limit N ticks from --price or the current price: above it for a buy, below it for a sell."),
        wait: float = typer.Option(3.0, "--wait", min=0.0, max=MAX_WAIT_S, help=WAIT_HELP),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask in real mode."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
        exchange: str | None = _exchange_option(),
    ) -> None:
        _place(ctx, side, code, qty, price, market, ticks, wait, yes, as_json, exchange)

    command.__doc__ = f"{side.value.capitalize()} shares (limit with --price/--ticks, or --market)."
    command.__name__ = side.value
    return command


order_app.command("buy", context_settings=_ARGS)(_side_command(Side.BUY))
order_app.command("sell", context_settings=_ARGS)(_side_command(Side.SELL))


@order_app.command("amend", context_settings=_ARGS)
def amend(
    ctx: typer.Context,
    order_no: str = typer.Argument(..., metavar="ORDER_NO", help="The open order's number (see `kiwoom orders`)."),
    price: str = typer.Option(..., "--price", help="New limit price in won."),
    qty: str | None = _qty_option(),
    wait: float = typer.Option(3.0, "--wait", min=0.0, max=MAX_WAIT_S, help=WAIT_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask in real mode."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
    exchange: str | None = _exchange_option(),
) -> None:
    """Change an open order's price (the broker gives it a new order number)."""
    from kiwoom_cli.core.orders import check_qty

    new_price = parse_price(price)
    wanted = check_qty(qty) if qty is not None else None
    _change(ctx, "amend", order_no, wanted, new_price, wait, yes, as_json, exchange)


@order_app.command("cancel", context_settings=_ARGS)
def cancel(
    ctx: typer.Context,
    order_no: str = typer.Argument(..., metavar="ORDER_NO", help="The open order's number (see `kiwoom orders`)."),
    qty: str | None = _qty_option(),
    wait: float = typer.Option(3.0, "--wait", min=0.0, max=MAX_WAIT_S, help=WAIT_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask in real mode."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
    exchange: str | None = _exchange_option(),
) -> None:
    """Cancel an open order (all of what remains, or --qty shares)."""
    from kiwoom_cli.core.orders import check_qty

    wanted = check_qty(qty) if qty is not None else None
    _change(ctx, "cancel", order_no, wanted, None, wait, yes, as_json, exchange)


def _change(ctx: typer.Context, kind: str, order_no: str, qty: int | None, price: int | None, wait: float,
            yes: bool, as_json: bool, exchange: str | None = None) -> None:
    from kiwoom_cli.cli.session import open_session
    from kiwoom_cli.core import venue

    from kiwoom_cli import inputs

    order_no = inputs.order_no(order_no)
    config = ctx.obj.config(exchange=exchange)  # validates --exchange before anything is asked
    with open_session(config) as session:
        service = session.orders()
        _journal_fills(session, service)
        target = service.find_open(order_no)
        # an amend or cancel goes to the venue the order was placed on, as ka10075 reports it
        session.rest.exchange = venue.order_venue(target.exchange, exchange, config.exchange, target.order_no)
        if qty is not None and qty > target.remaining_qty:
            raise BadInput(f"order {target.order_no} has only {target.remaining_qty:,} shares open, not {qty:,}")
        if kind == "amend":
            # An explicit quantity rather than 0, which kt10002 reads as all that remains (docs/protocol.md, Request bodies).
            intent = service.prepare_amend(target.order_no, target.code, qty or target.remaining_qty, price,
                                           side=target.side, old_price=target.price)
        else:
            intent = service.prepare_cancel(target.order_no, target.code, qty or 0)
        confirm_real(config, _describe(intent, config, session.endpoint), yes)
        how = _prepare_follow(session, wait)
        ack = service.execute(intent)
        if not as_json:
            what = f", {target.code} to {price:,}" if kind == "amend" else f", {target.code}"
            say(f"{kind.capitalize()} of order {target.order_no} accepted as order {ack.order_no}{what}")
        progress = _follow(session, how, ack.order_no, target.code, kind, target.remaining_qty, wait, as_json,
                           target_no=target.order_no)
        _settle(service, intent, progress)
    if as_json:
        emit_json(_result(intent, ack, progress))
    _finish(progress, kind, target.remaining_qty, wait, as_json)
    _check_progress(progress)


def orders(
    ctx: typer.Context,
    fills: bool = typer.Option(False, "--fills", help="Also list today's fills."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List open orders (and today's fills with --fills)."""
    from kiwoom_cli.cli.session import open_session

    with open_session(ctx.obj.config()) as session:
        open_orders = session.rest.open_orders()
        service = session.orders()
        pending = service.unknown_outcomes()
        all_fills = session.rest.fills() if (fills or pending) else None
        fill_rows = all_fills if fills else None
        settled = service.settle_unknown(open_orders, all_fills or []) if pending else []
        _journal_fills(session, service, all_fills, say_so=True)  # asks for the fills itself only when an order lacks them
        unknown = service.unknown_outcomes()
    if as_json:
        doc = {"open_orders": open_orders, "unknown_outcomes": unknown,
               "settled": [{"intent_id": i["intent_id"], "order_no": no} for i, no in settled]}
        if fill_rows is not None:
            doc["fills"] = fill_rows
        emit_json(doc)
        return
    from kiwoom_cli.ui.render import fills_table, open_orders_table

    show(open_orders_table(open_orders), *([fills_table(fill_rows)] if fill_rows is not None else []))
    for row, order_no in settled:
        note(f"settled: the {row['side']} {row['code']} {row['qty']:,} sent at {row['ts'][11:19]} with no answer "
             f"was placed as order {order_no}")
    for row in unknown:  # the broker's lists above say whether these were placed
        price = "market" if row["price"] is None else f"{row['price']:,}"
        note(f"warning: no answer came for {row['side']} {row['code']} {row['qty']:,} @ {price} "
             f"sent at {row['ts'][11:19]}: compare with the lists above (and --fills) before trying again")
