"""Public mode without a CA: certificates made here with ``cryptography`` (any validity we
need, so renewal timing needs no clock games), HAProxy's certificate files written by the
real ``router.certs.Certificates`` (HAProxy is not running: it would read them at start),
and ``FakeIssuer`` standing in for the ACME CA."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dockyard.errors import DockyardError
from dockyard.ingress.acme import Issued
from dockyard.router.certs import Certificates
from dockyard.router.model import PublicIngress

DAY = dt.timedelta(days=1)


def certificate(names: list[str], not_before: dt.datetime, not_after: dt.datetime
                ) -> tuple[bytes, bytes]:
    """A self-signed leaf for ``names`` (PEM chain, PEM key) with exactly this validity."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0].lstrip("*."))])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def issued(names: list[str], valid_for: dt.timedelta, age: dt.timedelta = dt.timedelta(0)
           ) -> Issued:
    """A certificate issued ``age`` ago, valid ``valid_for`` in all."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - age
    chain, key = certificate(names, start, start + valid_for)
    return Issued(chain, key, start, start + valid_for)


@dataclass
class FakeIssuer:
    """The ACME CA's part: hands out certificates of a chosen validity, or fails."""

    valid_for: dt.timedelta = 90 * DAY
    age: dt.timedelta = dt.timedelta(0)
    error: DockyardError | None = None
    calls: list[tuple[list[str], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, names: list[str], solver: Any) -> Issued:
        with self.lock:
            self.calls.append((names, solver.kind))
        if self.error is not None:
            raise self.error
        return issued(names, self.valid_for, self.age)


@pytest.fixture
def public(tmp_path: Path) -> PublicIngress:
    folder = tmp_path / "router"
    return PublicIngress(domain="apps.example.com", http_port=8080, https_port=8443,
                         binds=("127.0.0.1",), crt_list=folder / "crt-list",
                         challenge_map=folder / "acme.map", default_cert=folder / "default.pem",
                         api_host="dockyard.apps.example.com", api_port=9000,
                         api_ca=tmp_path / "ca.pem")


@pytest.fixture
def certificates(public: PublicIngress, tmp_path: Path) -> Certificates:
    certs = Certificates(public, tmp_path / "no-haproxy.sock", tmp_path / "router.lock")
    certs.ensure_files()
    return certs
