"""One certificate from an ACME CA (Let's Encrypt, or pebble in tests), with certbot's
``acme`` library: account, order, challenges, finalization.

The account key (EC P-256) is made once and kept 0600; the account itself is looked up by
that key on every start (``newAccount`` answers with the existing account), so nothing else
needs storing. Each certificate gets a fresh key. Challenges are answered by a ``Solver``:
HTTP-01 through HAProxy (``challenges.HttpSolver``) or DNS-01 through the user's hook
(``challenges.DnsSolver``). Blocking on purpose: it runs on a worker thread of the ingress
program, never on an event loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from dockyard.errors import DockyardError
from dockyard.files import write_private

USER_AGENT = "dockyard (acme-python)"
ORDER_SECONDS = 120  # one order's budget: validation, finalization, download


class Solver(Protocol):
    """Publishes the answer to one challenge for as long as the ``with`` block runs."""

    kind: str  # "http-01" or "dns-01"

    def publish(self, domain: str, challb: Any,
                account_key: Any) -> AbstractContextManager[Any]: ...


@dataclass(frozen=True)
class Issued:
    """A certificate chain and its private key (PEM), and when it stops being valid."""

    fullchain: bytes
    key: bytes
    not_before: dt.datetime
    not_after: dt.datetime

    @property
    def combined(self) -> bytes:
        """HAProxy's format: the chain, then the key, in one file."""
        return self.fullchain.rstrip(b"\n") + b"\n" + self.key


@dataclass(frozen=True)
class AcmeConfig:
    directory: str
    email: str = ""
    ca_bundle: str = ""        # a CA file for the directory's HTTPS (pebble), else system CAs
    eab_kid: str = ""
    eab_hmac_key: str = ""     # base64url; decrypted by the caller, never logged


def account_key(path: Path) -> Any:
    """The ACME account key (a josepy JWK), created once, 0600."""
    import josepy as jose
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        write_private(path, key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    return jose.JWKEC(key=key)


class AcmeClient:
    """An ACME account on one directory; ``issue`` is safe to call from several threads
    (each call has its own network session)."""

    def __init__(self, config: AcmeConfig, key_path: Path) -> None:
        self.config = config
        self.key = account_key(key_path)
        self.account_uri: str | None = None

    def _client(self) -> Any:
        import josepy as jose
        from acme import client

        verify: bool | str = self.config.ca_bundle or True
        net = client.ClientNetwork(self.key, alg=jose.ES256, verify_ssl=verify,  # type: ignore[arg-type]
                                   user_agent=USER_AGENT, timeout=30)
        directory = client.ClientV2.get_directory(self.config.directory, net)
        acme = client.ClientV2(directory, net)
        self._login(acme)
        return acme

    def _login(self, acme: Any) -> None:
        """Register the key, or find the account it already has."""
        from acme import errors, messages

        eab = None
        if self.config.eab_kid:
            eab = messages.ExternalAccountBinding.from_data(
                account_public_key=self.key.public_key(), kid=self.config.eab_kid,
                hmac_key=self.config.eab_hmac_key, directory=acme.directory)
        contact = {"email": self.config.email} if self.config.email else {}
        reg = messages.NewRegistration.from_data(terms_of_service_agreed=True,
                                                 external_account_binding=eab, **contact)
        try:
            regr = acme.new_account(reg)
        except errors.ConflictError as exc:  # the key has an account already
            regr = messages.RegistrationResource(uri=exc.location, body=reg)
        acme.net.account = regr
        self.account_uri = regr.uri

    def issue(self, names: list[str], solver: Solver) -> Issued:
        """A new certificate for ``names`` (the first is the subject), or ``DockyardError``
        with the CA's own reason (``ingress.acme_failed``)."""
        from acme import crypto_util, errors, messages
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        try:
            acme = self._client()
            order = acme.new_order(crypto_util.make_csr(key_pem, names))
            deadline = dt.datetime.now() + dt.timedelta(seconds=ORDER_SECONDS)
            with self._answered(acme, order, solver):
                order = acme.poll_and_finalize(order, deadline)
        except DockyardError:
            raise  # a challenge we cannot answer, a DNS hook that failed: already explained
        except (errors.Error, messages.Error, OSError) as exc:
            raise DockyardError(f"the ACME CA refused {', '.join(names)}: {reason(exc)}",
                                code="ingress.acme_failed") from exc
        except Exception as exc:  # requests' errors, timeouts: the domain fails, not the program
            raise DockyardError(f"getting a certificate for {', '.join(names)} failed: "
                                f"{type(exc).__name__}: {exc}",
                                code="ingress.acme_failed") from exc
        chain = order.fullchain_pem.encode()
        return Issued(chain, key_pem, *validity(chain))

    @contextmanager
    def _answered(self, acme: Any, order: Any, solver: Solver) -> Iterator[None]:
        """Publish the answer to every pending authorization of the order, tell the CA to
        check them, and take the answers down afterwards."""
        from acme import messages

        with ExitStack() as stack:
            answers = []
            for authz in order.authorizations:
                if authz.body.status == messages.STATUS_VALID:
                    continue  # an authorization the CA reused
                challb = pick(authz, solver.kind)
                name = authz.body.identifier.value
                if authz.body.wildcard:
                    name = "*." + name
                answers.append((challb, stack.enter_context(
                    solver.publish(name, challb, self.key))))
            for challb, response in answers:
                acme.answer_challenge(challb, response)
            yield


def pick(authz: Any, kind: str) -> Any:
    """The authorization's challenge of ``kind``; a clear error when the CA offers none."""
    for challb in authz.body.challenges:
        if challb.chall.typ == kind:
            return challb
    offered = ", ".join(kind_of(c.chall) for c in authz.body.challenges)
    raise DockyardError(f"the ACME CA offers no {kind} challenge for "
                        f"{authz.body.identifier.value} (offered: {offered})",
                        code="ingress.no_challenge")


def kind_of(chall: Any) -> str:
    """A challenge's type, also for those the acme library does not model (``tls-alpn-01``:
    its ``typ`` is ``NotImplemented``, the CA's word is in ``jobj``)."""
    typ = chall.typ
    return typ if isinstance(typ, str) else str(getattr(chall, "jobj", {}).get("type", "?"))


def reason(exc: BaseException) -> str:
    """The CA's explanation, e.g. ``DNS problem: SERVFAIL looking up A for …``."""
    from acme import errors

    if isinstance(exc, errors.ValidationError):
        details = [str(c.error.detail or c.error) for a in exc.failed_authzrs
                   for c in a.body.challenges if c.error is not None]
        return "; ".join(details) or "validation failed"
    if isinstance(exc, errors.TimeoutError):
        return f"no answer within {ORDER_SECONDS} s"
    detail = getattr(exc, "detail", None)
    return str(detail or exc) or type(exc).__name__


def validity(chain: bytes) -> tuple[dt.datetime, dt.datetime]:
    """notBefore and notAfter of the chain's first (leaf) certificate."""
    from cryptography import x509

    leaf = x509.load_pem_x509_certificate(chain)
    return leaf.not_valid_before_utc, leaf.not_valid_after_utc
