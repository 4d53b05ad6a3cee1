"""Certificates and ACME challenge answers in a running HAProxy, without a reload.

The ingress stage gets certificates; this module puts them where HAProxy serves them:

- one combined PEM (chain, then key) per certificate, mode 0600;
- one crt-list line per certificate, with its SNI names and minimum TLS version;
- the same change through the runtime API: ``new ssl cert`` → ``set ssl cert`` → ``commit ssl
  cert`` → ``add ssl crt-list`` for a new certificate, ``set`` + ``commit`` for a renewal,
  ``del ssl crt-list`` + ``del ssl cert`` for one that is gone.

The crt-list file is rewritten as well (atomically), so a restart or a reload serves the same
certificates. Its first line is a self-signed fallback certificate, the default for clients
that send no SNI or an unknown name. HTTP-01 answers go into a map file that the public HTTP
frontend reads (``add map`` / ``del map``). Every change holds the router's lock, so it never
interleaves with a reload.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.files import write_private
from dockyard.router import runtime
from dockyard.router.files import install, locked
from dockyard.router.model import PublicIngress

TLS_VERSIONS = {"1.2": "TLSv1.2", "1.3": "TLSv1.3"}
DEFAULT_NAME = "dockyard.invalid"


@dataclass(frozen=True)
class CertEntry:
    """One crt-list line: a combined PEM file, the names it answers, its minimum TLS."""

    path: Path
    names: tuple[str, ...]
    min_tls: str | None = None

    def line(self) -> str:
        option = f" [ssl-min-ver {TLS_VERSIONS[self.min_tls]}]" if self.min_tls else ""
        return f"{self.path}{option} {' '.join(self.names)}".rstrip()

    @classmethod
    def parse(cls, line: str) -> CertEntry:
        head, _, rest = line.partition(" ")
        min_tls = None
        if rest.startswith("["):
            options, _, rest = rest[1:].partition("]")
            words = options.split()
            if "ssl-min-ver" in words:
                wanted = words[words.index("ssl-min-ver") + 1]
                min_tls = next((k for k, v in TLS_VERSIONS.items() if v == wanted), None)
        return cls(Path(head), tuple(rest.split()), min_tls)


class Certificates:
    """The certificates HAProxy serves on the public HTTPS port."""

    def __init__(self, public: PublicIngress, stats_socket: Path, lock: Path) -> None:
        self.public = public
        self.socket = stats_socket
        self.lock = lock

    # -- files -----------------------------------------------------------------------------
    def ensure_files(self) -> None:
        """The fallback certificate, the crt-list and the challenge map, if missing."""
        pub = self.public
        for folder in {pub.default_cert.parent, pub.crt_list.parent, pub.challenge_map.parent}:
            folder.mkdir(parents=True, exist_ok=True)
        if not pub.default_cert.exists():
            write_private(pub.default_cert, self_signed(DEFAULT_NAME))
        if not pub.crt_list.exists():
            install(pub.crt_list, f"{pub.default_cert}\n")
        if not pub.challenge_map.exists():
            install(pub.challenge_map, "")

    def entries(self) -> dict[Path, CertEntry]:
        """The crt-list's certificates (without the fallback), by file."""
        lines = self.public.crt_list.read_text().splitlines() if self.public.crt_list.exists() \
            else []
        found = [CertEntry.parse(ln.strip()) for ln in lines if ln.strip()]
        return {e.path: e for e in found if e.path != self.public.default_cert}

    def _write_list(self, entries: dict[Path, CertEntry]) -> None:
        lines = [str(self.public.default_cert)]
        lines += [e.line() for _, e in sorted(entries.items())]
        install(self.public.crt_list, "\n".join(lines) + "\n")

    # -- certificates ----------------------------------------------------------------------
    def install_cert(self, entry: CertEntry, pem: bytes) -> None:
        """Serve ``pem`` (chain + key) for ``entry.names`` from now on: new or renewed."""
        if " " in str(entry.path):
            raise DockyardError(f"certificate path {entry.path} contains a space",
                                code="router.bad_home", hint="Use a DOCKYARD_HOME without spaces.")
        with locked(self.lock):
            old = self.entries()
            write_private(entry.path, pem)
            try:
                self._runtime_install(entry, pem.decode(), old.get(entry.path))
            except runtime.NotRunning:
                pass  # HAProxy loads the crt-list file when it starts
            self._write_list({**old, entry.path: entry})

    def _runtime_install(self, entry: CertEntry, pem: str, old: CertEntry | None) -> None:
        path = str(entry.path)
        known = "Filename:" in self._ask(f"show ssl cert {path}")
        if not known:
            self._expect(f"new ssl cert {path}", "New empty certificate store", "already exists")
        self._expect(f"set ssl cert {path} <<\n{pem.strip()}\n", "Transaction")
        self._expect(f"commit ssl cert {path}", "Success")
        listed = path in self._ask(f"show ssl crt-list {self.public.crt_list}")
        if listed and old is not None and old.line() != entry.line():
            self._expect(f"del ssl crt-list {self.public.crt_list} {path}", "deleted", "Success")
            listed = False
        if not listed:
            self._expect(f"add ssl crt-list {self.public.crt_list} <<\n{entry.line()}\n",
                         "Success")

    def remove_cert(self, path: Path) -> None:
        """Stop serving the certificate in ``path`` and delete the file."""
        with locked(self.lock):
            entries = self.entries()
            entries.pop(path, None)
            self._write_list(entries)
            with contextlib.suppress(runtime.NotRunning):
                if str(path) in self._ask(f"show ssl crt-list {self.public.crt_list}"):
                    self._expect(f"del ssl crt-list {self.public.crt_list} {path}",
                                 "deleted", "Success")
                if "Filename:" in self._ask(f"show ssl cert {path}"):
                    self._expect(f"del ssl cert {path}", "deleted", "Success")
            path.unlink(missing_ok=True)

    # -- HTTP-01 answers -------------------------------------------------------------------
    def add_challenge(self, token: str, key_authorization: str) -> None:
        """Answer ``/.well-known/acme-challenge/<token>`` with the key authorization."""
        _check_token(token)
        _check_token(key_authorization)
        with locked(self.lock):
            answers = self._map()
            answers[token] = key_authorization
            self._write_map(answers)
            mapfile = self.public.challenge_map
            known = token in self._ask(f"show map {mapfile}")
            verb = "set" if known else "add"
            answer = self._ask(f"{verb} map {mapfile} {token} {key_authorization}")
            if answer.strip():
                raise DockyardError(f"HAProxy refused the ACME challenge answer: {answer.strip()}",
                                    code="router.runtime_api")

    def remove_challenge(self, token: str) -> None:
        _check_token(token)
        with locked(self.lock):
            answers = self._map()
            answers.pop(token, None)
            self._write_map(answers)
            with contextlib.suppress(runtime.NotRunning):
                self._ask(f"del map {self.public.challenge_map} {token}")

    def _map(self) -> dict[str, str]:
        path = self.public.challenge_map
        text = path.read_text() if path.exists() else ""
        return dict(ln.split(" ", 1) for ln in text.splitlines() if " " in ln)

    def _write_map(self, answers: dict[str, str]) -> None:
        install(self.public.challenge_map, "".join(f"{k} {v}\n" for k, v in answers.items()))

    # -- runtime API -----------------------------------------------------------------------
    def _ask(self, line: str) -> str:
        return runtime.command(self.socket, line)

    def _expect(self, line: str, *accepted: str) -> str:
        answer = self._ask(line)
        if not any(word in answer for word in accepted):
            command = line.split("<<", 1)[0].strip()
            raise DockyardError(f"HAProxy refused `{command}`: {answer.strip()[:300]}",
                                code="router.runtime_api",
                                hint="The certificate files are in place; restarting the "
                                     "dockyard-haproxy program loads them.")
        return answer


def _check_token(value: str) -> None:
    """ACME tokens and key authorizations are base64url (plus one dot): nothing else."""
    if not value or not all(c.isalnum() or c in "-_." for c in value):
        raise DockyardError(f"not an ACME token: {value[:40]!r}", code="router.bad_challenge")


def self_signed(name: str) -> bytes:
    """A throw-away certificate + key (PEM) for ``name``: HAProxy's default certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
