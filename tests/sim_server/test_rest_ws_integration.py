"""An order placed over REST reaches the account's WebSocket as REAL 00 / 04 frames."""

from __future__ import annotations

import json

import websocket

from tests.kit.helpers import wait_until


def test_rest_order_is_pushed_on_the_socket(sim, api):
    ws = websocket.create_connection(sim.ws_url, timeout=5, http_no_proxy=["127.0.0.1"])
    try:
        ws.send(json.dumps({"trnm": "LOGIN", "token": api.token}))
        assert json.loads(ws.recv())["return_code"] == 0
        ws.send(json.dumps({"trnm": "REG", "grp_no": "1", "refresh": "1",
                            "data": [{"item": [""], "type": ["00", "04"]}]}))
        order_no = api.buy(qty=2)
        seen: list[dict] = []

        def got_fill():
            frame = json.loads(ws.recv())
            if frame.get("trnm") == "PING":
                ws.send(json.dumps(frame))
            for entry in frame.get("data", []) if frame.get("trnm") == "REAL" else []:
                seen.append(entry)
            return any(e["type"] == "00" and e["values"].get("913") == "체결" for e in seen)

        wait_until(got_fill, timeout=10, message="a 체결 frame")
        orders = [e for e in seen if e["type"] == "00"]
        assert orders[0]["values"]["9203"] == order_no and orders[0]["values"]["913"] == "접수"
    finally:
        ws.close()
