"""The client over https/wss against the TLS simulator: trusted through exactly the CA given, refused otherwise."""

from __future__ import annotations

import queue
import ssl

import pytest
import trustme

from kiwoom_cli.errors import CertificateFailed, ExitCode, OutcomeUnknown
from kiwoom_cli.kiwoom import tls, transport, wsconn
from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.sim import certs
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.sim import APP_KEY, SECRET


def rest(sim, tmp_path, ca_file: str) -> RestClient:
    endpoint = Endpoint("mock", sim.rest_url, sim.ws_url, ca_file=ca_file, ca_only=True)
    return RestClient(endpoint, Credentials(APP_KEY, SECRET), tokens=TokenStore(tmp_path / "tokens"))


def test_rest_and_socket_work_over_tls_trusting_the_simulators_ca(tls_sim, tmp_path):
    assert tls_sim.rest_url.startswith("https://") and tls_sim.ws_url.startswith("wss://")
    with rest(tls_sim, tmp_path, tls_sim.ca_file) as client:
        assert client.cash().deposit > 0
        ack = client.buy("005930", 1, None)
        assert ack.order_no
        socket = SocketClient(client.endpoint, client.token, queue.Queue(), reconnect=False)
        socket.start()
        try:
            assert socket.conditions()  # a request and its reply over wss
        finally:
            socket.stop()
    assert [o["api_id"] for o in tls_sim.order_log] == ["kt10000"]


def test_an_order_to_an_untrusted_server_is_not_sent_and_says_why(tls_sim, tmp_path, other_ca):
    with rest(tls_sim, tmp_path, tls_sim.ca_file) as trusted:
        trusted.token()  # cached for this mode and key: the order below needs no token request
    before = len(tls_sim.request_log)
    with rest(tls_sim, tmp_path, other_ca) as client:
        with pytest.raises(CertificateFailed) as caught:
            client.buy("005930", 1, None)
    error = caught.value
    assert not isinstance(error, OutcomeUnknown) and error.exit_code == ExitCode.NETWORK
    assert "kt10000: certificate verify failed for 127.0.0.1" in error.message
    assert APP_KEY not in str(error) and SECRET not in str(error) and "/api/" not in str(error)
    assert len(tls_sim.request_log) == before and tls_sim.order_log == []


def test_urllib3_refuses_in_the_handshake_so_nothing_was_sent(tls_sim, other_ca):
    other = tls.context(other_ca, only=True)
    post = transport.Transport(5.0, ssl_context=lambda: other)
    with pytest.raises(transport.SendError) as caught:
        post.post(tls_sim.rest_url, "/api/dostk/ordr", b"{}", {"api-id": "kt10000"})
    assert caught.value.kind == transport.CERTIFICATE and caught.value.nothing_sent
    assert isinstance(caught.value.verify, ssl.SSLCertVerificationError)
    assert tls_sim.request_log == []


def test_the_socket_refuses_an_untrusted_certificate_before_login(tls_sim, other_ca):
    endpoint = Endpoint("mock", tls_sim.rest_url, tls_sim.ws_url, ca_file=other_ca, ca_only=True)
    socket = SocketClient(endpoint, lambda force: "never-sent-token", queue.Queue(), reconnect=False)
    with pytest.raises(CertificateFailed) as caught:
        socket.start()
    assert "LOGIN: certificate verify failed for 127.0.0.1" in caught.value.message
    assert "never-sent-token" not in str(caught.value)
    assert tls_sim.call(lambda: dict(tls_sim._hub.by_app_key)) == {}


def test_hostname_checking_stays_on(tmp_path):
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)  # a trusted CA's certificate, for 127.0.0.1 only
    with SimServer(SimConfig(rate_limit=None, static=True), tls=certs.SimTLS(ca_file, server)) as sim:
        by_name = sim.ws_url.replace("127.0.0.1", "localhost")
        with pytest.raises(CertificateFailed) as caught:
            wsconn.open_socket(by_name, 5.0, None, lambda: tls.context(str(ca_file), only=True))
        wsconn.open_socket(sim.ws_url, 5.0, None, lambda: tls.context(str(ca_file), only=True)).close()
    assert "certificate verify failed for localhost" in caught.value.message
    assert "mismatch" in caught.value.message.lower()


def test_the_context_verifies_and_checks_hostnames(tls_sim):
    for ctx in (tls.context(), tls.context(tls_sim.ca_file), tls.context(tls_sim.ca_file, only=True)):
        assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
