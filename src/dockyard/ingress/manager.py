"""The ingress program's loop: every certificate public mode needs, got and kept fresh.

Each tick (``ingress_poll_seconds``) compares what the apps need (``names.wanted``) with what
is installed: a missing or expiring certificate goes to a worker thread, a certificate no app
needs any more leaves HAProxy. Workers run one ACME order each, so one slow or failing domain
never holds up another, nor any deployment (deployments never wait for certificates).

Renewal starts ``renew_before_seconds`` before expiry (30 days by default), or with a third of
its lifetime left when that is sooner (short-lived certificates: Let's Encrypt's 6-day ones,
pebble's in the tests), so a certificate is never renewed as soon as it arrives. A failed attempt
is retried after ``cert_retry_seconds``, doubling up to ``cert_retry_max_seconds``. A domain
without a certificate whose order fails ends ``ERROR`` with the CA's reason and raises
``DOMAIN_FAILED``; a renewal that fails keeps the old certificate serving (``ACTIVE``, with the
reason) and raises ``DOMAIN_FAILED`` after ``renew_alert_failures`` failures in a row.
``DOMAIN_LIVE`` fires when a spec domain goes ``ACTIVE``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from dockyard.errors import DockyardError
from dockyard.ingress import names as naming
from dockyard.ingress.state import (
    ACTIVE,
    CONFIGURING,
    ERROR,
    PENDING,
    DomainState,
    load_states,
    now_iso,
    save_states,
)
from dockyard.settings import Settings

log = logging.getLogger("dockyard.ingress")
Alert = Callable[[str, str, str], None]      # (app_id, rule, message)


class Manager:
    def __init__(self, folder: Path, settings: Settings, apps: Callable[[], list[Any]],
                 certificates: Any, issuer: Callable[[], Any], alert: Alert,
                 workers: int = 4) -> None:
        self.folder = folder
        self.settings = settings
        self.apps = apps                  # () -> the store's apps
        self.certificates = certificates  # router.certs.Certificates
        self.issuer = issuer              # () -> acme.AcmeClient (made on first use)
        self.alert = alert
        self.lock = threading.Lock()
        self.states = load_states(folder)
        self.inflight: set[str] = set()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="acme")

    def run(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set; a failing tick is logged and the loop goes on."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the store or HAProxy briefly away: try again next tick
                log.exception("ingress tick failed")
            stop.wait(self.settings.ingress_poll_seconds)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def tick(self) -> None:
        wanted = naming.wanted(self.settings, self.apps())
        now = time.time()
        with self.lock:
            for key in [k for k in self.states if k not in wanted and k not in self.inflight]:
                self._forget(key)
            for key, item in wanted.items():
                state = self._update(key, item)
                if key not in self.inflight and not item.refused and self._due(state, now):
                    self.inflight.add(key)
                    self.pool.submit(self._obtain, item)
            save_states(self.folder, self.states)

    # -- bookkeeping ---------------------------------------------------------------------
    def _update(self, key: str, item: naming.Wanted) -> DomainState:
        state = self.states.get(key) or DomainState(key, list(item.names), item.kind)
        state.names, state.kind, state.app_id = list(item.names), item.kind, item.app_id
        state.spec = dict(item.spec)
        if item.refused:
            if state.phase != ERROR or state.reason != item.refused:
                self._fail_state(state, item, item.refused, "ingress.refused")
        elif state.phase == ERROR and state.reason_code == "ingress.refused":
            state.phase, state.reason, state.reason_code = PENDING, "", ""
        if state.phase == ACTIVE and state.min_tls != item.min_tls and self._has_cert(key):
            self.certificates.install_cert(self._entry(item), self.cert_path(key).read_bytes())
        state.min_tls = item.min_tls
        self.states[key] = state
        return state

    def _due(self, state: DomainState, now: float) -> bool:
        if now < state.next_attempt:
            return False
        if not self._has_cert(state.key):
            return True
        left = state.seconds_left(dt.datetime.now(dt.UTC))
        threshold = self.settings.renew_before_seconds
        if state.lifetime() > 0:
            threshold = min(threshold, state.lifetime() / 3)
        return left <= threshold

    def _forget(self, key: str) -> None:
        state = self.states.pop(key)
        if self._has_cert(key):
            self.certificates.remove_cert(self.cert_path(key))
        log.info("certificate for %s removed (no app uses it)", ", ".join(state.names))

    def cert_path(self, key: str) -> Path:
        return self.folder / "certs" / f"{key}.pem"

    def _has_cert(self, key: str) -> bool:
        return self.cert_path(key).exists()

    def _entry(self, item: naming.Wanted) -> Any:
        from dockyard.router.certs import CertEntry

        return CertEntry(self.cert_path(item.key), item.names, item.min_tls)

    # -- one ACME order (a worker thread) ------------------------------------------------
    def _obtain(self, item: naming.Wanted) -> None:
        renewal = self._has_cert(item.key)
        self._begin(item, renewal)
        try:
            issued = self.issuer().issue(list(item.names), self._solver(item))
            self.certificates.install_cert(self._entry(item), issued.combined)
        except DockyardError as exc:
            self._failed(item, exc, renewal)
        except Exception as exc:  # never let one domain stop the worker pool
            log.exception("certificate for %s", item.key)
            self._failed(item, DockyardError(f"{type(exc).__name__}: {exc}",
                                             code="ingress.internal"), renewal)
        else:
            self._succeeded(item, issued.not_before, issued.not_after)
        finally:
            with self.lock:
                self.inflight.discard(item.key)

    def _solver(self, item: naming.Wanted) -> Any:
        from dockyard.ingress.challenges import DnsSolver, HttpSolver

        if item.wildcard:
            return DnsSolver(self.settings.dns01_hook)
        return HttpSolver(self.certificates)

    def _begin(self, item: naming.Wanted, renewal: bool) -> None:
        with self.lock:
            state = self.states.get(item.key)
            if state is None:
                return
            state.started_at, state.ended_at = now_iso(), ""
            if not renewal:
                state.phase = CONFIGURING
            save_states(self.folder, self.states)
        log.info("%s certificate for %s", "renewing" if renewal else "getting",
                 ", ".join(item.names))

    def _succeeded(self, item: naming.Wanted, not_before: dt.datetime,
                   not_after: dt.datetime) -> None:
        with self.lock:
            state = self.states.get(item.key)
            if state is None:
                return
            went_live = state.phase != ACTIVE
            state.phase, state.reason, state.reason_code = ACTIVE, "", ""
            state.failures, state.next_attempt, state.alerted_failed = 0, 0.0, False
            state.issued_at, state.ended_at = now_iso(), now_iso()
            state.valid_from = not_before.astimezone(dt.UTC).isoformat()
            state.expires_at = not_after.astimezone(dt.UTC).isoformat()
            save_states(self.folder, self.states)
        log.info("certificate for %s installed, valid until %s", ", ".join(item.names),
                 state.expires_at)
        if went_live and item.kind in naming.SPEC_KINDS and item.app_id:
            self.alert(item.app_id, "DOMAIN_LIVE",
                       f"Domain {item.key} of {item.app_name} is live with a certificate "
                       f"valid until {state.expires_at[:10]}")

    def _failed(self, item: naming.Wanted, exc: DockyardError, renewal: bool) -> None:
        with self.lock:
            state = self.states.get(item.key)
            if state is None:
                return
            state.failures += 1
            delay = min(self.settings.cert_retry_seconds * 2 ** (state.failures - 1),
                        self.settings.cert_retry_max_seconds)
            state.next_attempt = time.time() + delay
            still_valid = renewal and state.seconds_left(dt.datetime.now(dt.UTC)) > 0
            if still_valid:
                state.reason, state.reason_code = f"renewal failed: {exc.message}", exc.code
                state.ended_at = now_iso()
                alert = state.failures >= self.settings.renew_alert_failures
            else:
                self._fail_state(state, item, exc.message, exc.code)
                alert = True
            alert = alert and not state.alerted_failed
            state.alerted_failed = state.alerted_failed or alert
            save_states(self.folder, self.states)
        log.warning("certificate for %s failed (%d in a row, next try in %.0f s): %s",
                    item.key, state.failures, delay, exc.message)
        if alert and item.app_id:
            self.alert(item.app_id, "DOMAIN_FAILED",
                       f"Domain {item.key} of {item.app_name}: {state.reason}")

    @staticmethod
    def _fail_state(state: DomainState, item: naming.Wanted, reason: str, code: str) -> None:
        state.phase, state.reason, state.reason_code = ERROR, reason, code
        state.ended_at = now_iso()
