"""TLS for `kiwoom sim --tls`: a certificate authority made at start, and the server's certificate from it.

The CA's certificate is written (PEM, 0600) where sim.json names it, so sim-mode commands trust
exactly that CA; its key never leaves memory. The server certificate covers 127.0.0.1, ::1 and
localhost. A new CA every start: nothing trusts a simulator that is no longer running.
Imported only on the --tls path (the `cryptography` package is not cheap to import).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiwoom_cli.paths import write_private

LIFETIME = dt.timedelta(days=30)
HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class SimTLS:
    """The CA file clients trust and the server-side context that presents the certificate."""

    ca_file: Path
    server: ssl.SSLContext

    def client(self) -> ssl.SSLContext:
        """A client context trusting exactly this CA (the simulator's own readiness check)."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make(ca_file: Path) -> SimTLS:
    """Make a CA and a server certificate for HOSTS; write the CA's certificate to `ca_file`."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiwoom sim local CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(ipaddress.ip_address(h)) if h[0].isdigit() or ":" in h else x509.DNSName(h)
             for h in HOSTS]
    cert = (
        _builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiwoom sim")]), ca_name, key.public_key(), now)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    write_private(ca_file, ca_cert.public_bytes(pem))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _load_chain(server, cert.public_bytes(pem) + ca_cert.public_bytes(pem), key_pem)
    return SimTLS(ca_file=ca_file, server=server)


def _builder(subject: x509.Name, issuer: x509.Name, public_key, now: dt.datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + LIFETIME))


def _load_chain(ctx: ssl.SSLContext, chain_pem: bytes, key_pem: bytes) -> None:
    """ssl loads a key only from a file: a private temporary directory, removed at once."""
    with tempfile.TemporaryDirectory(prefix="kiwoom-sim-tls-") as tmp:
        path = os.path.join(tmp, "server.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key_pem + chain_pem)
        ctx.load_cert_chain(path)
