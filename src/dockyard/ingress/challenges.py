"""Answers to ACME challenges: HTTP-01 through HAProxy, DNS-01 through the user's hook.

HTTP-01: HAProxy's public HTTP frontend answers ``/.well-known/acme-challenge/<token>`` from a
map that the runtime API changes (``router.certs``), so no extra server or port is needed and
HAProxy is not reloaded. DNS-01 (required for wildcard certificates): Dockyard runs the
configured hook ``HOOK present <record name> <value>`` and, afterwards, ``HOOK cleanup …``; the
hook publishes the TXT record with the user's DNS provider and returns once it is visible.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dockyard.errors import DockyardError

HOOK_SECONDS = 300


class HttpSolver:
    kind = "http-01"

    def __init__(self, certificates: Any) -> None:
        self.certificates = certificates  # router.certs.Certificates

    @contextmanager
    def publish(self, domain: str, challb: Any, account_key: Any) -> Iterator[Any]:
        response, validation = challb.chall.response_and_validation(account_key)
        token = challb.chall.encode("token")
        self.certificates.add_challenge(token, validation)
        try:
            yield response
        finally:
            self.certificates.remove_challenge(token)


class DnsSolver:
    kind = "dns-01"

    def __init__(self, hook: str) -> None:
        self.hook = hook

    @contextmanager
    def publish(self, domain: str, challb: Any, account_key: Any) -> Iterator[Any]:
        response, validation = challb.chall.response_and_validation(account_key)
        record = challb.chall.validation_domain_name(domain.removeprefix("*."))
        self._run("present", record, validation)
        try:
            yield response
        finally:
            try:
                self._run("cleanup", record, validation)
            except DockyardError:
                pass  # a stale TXT record does no harm; the next order has a new value

    def _run(self, action: str, record: str, value: str) -> None:
        try:
            res = subprocess.run([self.hook, action, record, value], capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=HOOK_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DockyardError(f"the DNS-01 hook {self.hook} could not run ({action} "
                                f"{record}): {exc}", code="ingress.dns_hook") from exc
        if res.returncode != 0:
            tail = (res.stderr or res.stdout).strip().splitlines()[-3:]
            raise DockyardError(f"the DNS-01 hook {self.hook} failed ({action} {record}, exit "
                                f"{res.returncode}): {' / '.join(tail)}",
                                code="ingress.dns_hook",
                                hint="The hook is called as `HOOK present|cleanup NAME VALUE`.")
