"""A local certificate authority, so the API speaks HTTPS.

DigitalOcean's own client refuses to send a token over plain HTTP,
so the first ``dockyard up`` makes a CA and a server certificate for 127.0.0.1/localhost.
Users trust the CA with ``REQUESTS_CA_BUNDLE=$(dockyard status -o json | jq -r .ca_cert)``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from dockyard.files import write_private


@dataclass(frozen=True)
class TLSFiles:
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path


def tls_files(directory: Path) -> TLSFiles:
    return TLSFiles(directory / "ca.pem", directory / "ca-key.pem",
                    directory / "server.pem", directory / "server-key.pem")


def ensure_tls(directory: Path) -> TLSFiles:
    """Create the CA and server certificate once; later calls reuse them."""
    files = tls_files(directory)
    if all(p.exists() for p in (files.ca_cert, files.ca_key, files.cert, files.key)):
        return files
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dockyard local CA")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
             x509.IPAddress(ipaddress.ip_address("::1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    none = serialization.NoEncryption()
    write_private(files.ca_key, ca_key.private_bytes(pem, pkcs8, none))
    write_private(files.key, key.private_bytes(pem, pkcs8, none))
    write_private(files.cert, cert.public_bytes(pem))
    write_private(files.ca_cert, ca_cert.public_bytes(pem))
    os.chmod(files.ca_cert, 0o644)  # the CA certificate is public: users point clients at it
    return files
