"""A simulator serving https/wss with the CA it made for itself (kiwoom_cli/sim/certs.py), and helpers.

Mock mode is pointed at it the way a user points it at a server: environment variables, with the
CA trusted through SSL_CERT_FILE or the ca_file setting. Another CA (trustme) stands for a server
nobody told us to trust.
"""

from __future__ import annotations

import http.client
import json
import ssl

import pytest
import trustme

from kiwoom_cli.sim import certs
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer


@pytest.fixture
def tls_sim(tmp_path):
    """A static simulator over TLS, rate limits off, on 127.0.0.1 port 0."""
    made = certs.make(tmp_path / "sim-ca.pem")
    with SimServer(SimConfig(rate_limit=None, static=True, seed=7), tls=made) as server:
        yield server


@pytest.fixture
def other_ca(tmp_path) -> str:
    """The PEM file of a CA that did not sign the simulator's certificate."""
    path = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def sim_orders(sim) -> list[dict]:
    """GET /sim/orders over https, trusting the simulator's CA: what reached its order desk."""
    context = ssl.create_default_context(cafile=sim.ca_file)
    conn = http.client.HTTPSConnection("127.0.0.1", sim.rest_port, timeout=10, context=context)
    try:
        conn.request("GET", "/sim/orders")
        response = conn.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        conn.close()
