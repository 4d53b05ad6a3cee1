"""A FAKE Kubernetes API server, in process, over real HTTP on 127.0.0.1.

No Kubernetes API server can run on these machines, so the runtime's client code is driven
against this stand-in: the real ``kubernetes`` client (kubeconfig, bearer token, server-side
apply, merge patches, watches) talks HTTP to it. It keeps objects in memory, speaks just
enough of the REST API for the calls Dockyard makes (get, list with label and field
selectors, create, apply, merge patch, delete, watch, pod logs), and records every call.
The controllers that move Deployments, ReplicaSets, Pods and Jobs along are simulated in
``fake_controllers.py``. Nothing here is a claim about a real cluster's behaviour beyond
what the tests assert.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PATH = re.compile(r"^(?P<prefix>/api/v1|/apis/[^/]+/[^/]+)(?:/namespaces/(?P<ns>[^/]+))?"
                  r"/(?P<plural>[a-z]+)(?:/(?P<name>[^/]+))?(?P<log>/log)?$")
TOKEN = "fake-token-for-tests"
KINDS = {"namespaces": "Namespace", "secrets": "Secret", "configmaps": "ConfigMap",
         "services": "Service", "pods": "Pod", "deployments": "Deployment",
         "replicasets": "ReplicaSet", "jobs": "Job", "cronjobs": "CronJob",
         "horizontalpodautoscalers": "HorizontalPodAutoscaler", "ingresses": "Ingress",
         "clusters": "Cluster"}


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: Any = None


def merge(base: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge(out.get(key), value)
    return out


def matches(obj: dict[str, Any], selector: str) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


@dataclass
class Store:
    """Objects by (collection, name); every change becomes a watch event."""

    objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)
    version: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)

    def put(self, collection: str, obj: dict[str, Any], kind: str = "MODIFIED") -> None:
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)
        self.objects[(collection, obj["metadata"]["name"])] = obj
        self.events.append((self.version, kind, collection, copy.deepcopy(obj)))
        self.cond.notify_all()

    def remove(self, collection: str, name: str) -> dict[str, Any] | None:
        obj = self.objects.pop((collection, name), None)
        if obj is not None:
            self.version += 1
            self.events.append((self.version, "DELETED", collection, copy.deepcopy(obj)))
            self.cond.notify_all()
        return obj

    def in_collection(self, collection: str) -> list[dict[str, Any]]:
        return [o for (c, _), o in sorted(self.objects.items()) if c == collection]

    def create(self, collection: str, obj: dict[str, Any]) -> dict[str, Any]:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        meta.update(uid=str(uuid.uuid4()), generation=1,
                    creationTimestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        self.put(collection, obj, "ADDED")
        return obj


class FakeApiServer:
    """Start, use through a kubeconfig, stop. ``calls`` lists what the client asked."""

    def __init__(self) -> None:
        self.store = Store()
        self.calls: list[Call] = []
        self.logs: dict[str, str] = {}           # pod name -> its log
        self.httpd: ThreadingHTTPServer | None = None
        self.on_change: list[Any] = []           # controllers' hooks (fake_controllers)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeApiServer:
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd:
            with self.store.cond:
                self.store.cond.notify_all()
            self.httpd.shutdown()
            self.httpd.server_close()

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def kubeconfig(self, path: Path) -> Path:
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": TOKEN}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}]}))
        return path

    # -- what tests look at --------------------------------------------------------------
    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        with self.store.cond:
            return copy.deepcopy(self.store.objects.get((collection_of(kind, namespace), name)))

    def all(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        with self.store.cond:
            return copy.deepcopy([o for (c, _), o in sorted(self.store.objects.items())
                                  if c.endswith("/" + plural_of(kind)) and
                                  (namespace is None or f"/namespaces/{namespace}/" in c)])

    def writes(self, plural: str = "") -> list[Call]:
        return [c for c in self.calls if c.method != "GET" and plural in c.path]

    def watches(self) -> list[Call]:
        return [c for c in self.calls if c.query.get("watch") == "true"]


def plural_of(kind: str) -> str:
    return next(p for p, k in KINDS.items() if k == kind)


def collection_of(kind: str, namespace: str | None) -> str:
    plural = plural_of(kind)
    prefix = {"Deployment": "/apis/apps/v1", "ReplicaSet": "/apis/apps/v1",
              "Job": "/apis/batch/v1", "CronJob": "/apis/batch/v1",
              "HorizontalPodAutoscaler": "/apis/autoscaling/v2",
              "Ingress": "/apis/networking.k8s.io/v1",
              "Cluster": "/apis/postgresql.cnpg.io/v1"}.get(kind, "/api/v1")
    return f"{prefix}/namespaces/{namespace}/{plural}" if namespace else f"{prefix}/{plural}"


class _Handler(BaseHTTPRequestHandler):
    server_ref: FakeApiServer
    protocol_version = "HTTP/1.1"   # watches stream chunked, as a real API server's do

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code: int, message: str) -> None:
        self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                          "message": message, "code": code})

    def _handle(self, method: str) -> None:
        fake = self.server_ref
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        fake.calls.append(Call(method, url.path, query, self.headers.get("Content-Type", ""),
                               body))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._status(401, "Unauthorized")
        m = PATH.match(url.path)
        if not m:
            return self._status(404, f"no route {url.path}")
        collection = url.path if not m["name"] else url.path.rsplit("/", 1 + bool(m["log"]))[0]
        if m["log"]:
            return self._log(m["ns"], m["name"], query)
        if method == "GET" and query.get("watch") == "true":
            return self._watch(collection, query)
        handler = getattr(self, f"_{method.lower()}")
        handler(collection, m["name"], query, body, m)

    def _log(self, namespace: str, name: str, query: dict[str, str]) -> None:
        fake = self.server_ref
        with fake.store.cond:
            if (collection_of("Pod", namespace), name) not in fake.store.objects:
                return self._status(404, f'pods "{name}" not found')
            lines = fake.logs.get(name, "").splitlines(keepends=True)
        tail = int(query.get("tailLines", 0) or 0)
        self._send(200, "".join(lines[-tail:] if tail else lines).encode(), "text/plain")

    def _get(self, collection: str, name: str | None, query: dict[str, str], body: Any,
             m: re.Match[str]) -> None:
        store = self.server_ref.store
        with store.cond:
            if name:
                obj = store.objects.get((collection, name))
                if obj is None:
                    return self._status(404, f'{m["plural"]} "{name}" not found')
                return self._send(200, obj)
            items = [o for o in store.in_collection(collection) if _selected(o, query)]
            if not m["ns"] and m["plural"] != "namespaces":  # all namespaces
                items = [o for (c, _), o in sorted(store.objects.items())
                         if c.endswith("/" + m["plural"]) and _selected(o, query)]
            self._send(200, {"kind": KINDS[m["plural"]] + "List", "apiVersion": "v1",
                             "metadata": {"resourceVersion": str(store.version)},
                             "items": items})

    def _post(self, collection: str, name: str | None, query: dict[str, str], body: Any,
              m: re.Match[str]) -> None:
        store = self.server_ref.store
        with store.cond:
            if (collection, body["metadata"]["name"]) in store.objects:
                return self._status(409, f'{m["plural"]} "{body["metadata"]["name"]}" exists')
            obj = store.create(collection, body)
            self._changed()
        self._send(201, obj)

    def _patch(self, collection: str, name: str, query: dict[str, str], body: Any,
               m: re.Match[str]) -> None:
        store = self.server_ref.store
        apply = self.headers.get("Content-Type", "").startswith("application/apply-patch")
        with store.cond:
            old = store.objects.get((collection, name))
            if old is None and not apply:
                return self._status(404, f'{m["plural"]} "{name}" not found')
            if old is None:
                obj = store.create(collection, body)
            else:
                obj = _updated(old, body, apply)
                store.put(collection, obj)
            self._changed()
        self._send(200, obj)

    def _delete(self, collection: str, name: str, query: dict[str, str], body: Any,
                m: re.Match[str]) -> None:
        store = self.server_ref.store
        with store.cond:
            obj = store.remove(collection, name)
            if obj is None:
                return self._status(404, f'{m["plural"]} "{name}" not found')
            if m["plural"] == "namespaces":  # the namespace's objects go with it
                for key in [k for k in store.objects if f"/namespaces/{name}/" in k[0]]:
                    store.remove(*key)
            self._changed()
        self._send(200, {"kind": "Status", "status": "Success"})

    def _changed(self) -> None:
        for hook in self.server_ref.on_change:
            hook()

    def _watch(self, collection: str, query: dict[str, str]) -> None:
        """Existing objects as ADDED (unless resuming), then changes, until timeoutSeconds."""
        store = self.server_ref.store
        deadline = time.monotonic() + float(query.get("timeoutSeconds", 30))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with store.cond:
            since = int(query.get("resourceVersion") or 0) or store.version
            out = [] if query.get("resourceVersion") else [
                ("ADDED", o) for o in store.in_collection(collection) if _selected(o, query)]
        while True:
            for kind, obj in out:
                self._chunk(json.dumps({"type": kind, "object": obj}).encode() + b"\n")
            with store.cond:
                left = deadline - time.monotonic()
                if left <= 0 or self.server_ref.httpd is None:
                    return self._chunk(b"")
                store.cond.wait(min(left, 0.5))
                out = [(k, o) for v, k, c, o in store.events
                       if v > since and c == collection and _selected(o, query)]
                since = store.version

    def _chunk(self, data: bytes) -> None:
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except OSError:  # the client stopped watching
            self.close_connection = True

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def _selected(obj: dict[str, Any], query: dict[str, str]) -> bool:
    field_sel = query.get("fieldSelector", "")
    if field_sel.startswith("metadata.name=") and \
            obj["metadata"]["name"] != field_sel.split("=", 1)[1]:
        return False
    return matches(obj, query.get("labelSelector", ""))


def _updated(old: dict[str, Any], body: Any, apply: bool) -> dict[str, Any]:
    """Apply replaces what the manifest states (status and server fields stay); a merge
    patch merges. ``generation`` moves when the spec changed."""
    if apply:
        new = {**copy.deepcopy(body), "status": old.get("status")}
        new["metadata"] = {**old["metadata"], **copy.deepcopy(body["metadata"])}
        if new["status"] is None:
            new.pop("status")
    else:
        new = merge(old, body)
    if new.get("spec") != old.get("spec"):
        new["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
    return new
