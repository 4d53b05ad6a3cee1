"""A small typed wrapper of the official ``kubernetes`` client: the few REST calls Dockyard
makes, on plain dicts (the same shape the renderer produces).

Requests go through the client's ``ApiClient`` (kubeconfig loading, TLS, bearer tokens, exec
plugins all come from it); watches go through its ``Watch``. Objects are applied with
server-side apply (``fieldManager=dockyard``), so a redeploy changes only what the release
changed and ``kubectl`` edits of other fields survive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kubernetes import config as kube_config
from kubernetes import watch as kube_watch
from kubernetes.client import ApiClient

from dockyard.errors import DockyardError

Obj = dict[str, Any]
FIELD_MANAGER = "dockyard"
APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"


@dataclass(frozen=True)
class Resource:
    prefix: str          # /api/v1, /apis/apps/v1 ...
    plural: str
    namespaced: bool = True


RESOURCES: dict[str, Resource] = {
    "Namespace": Resource("/api/v1", "namespaces", namespaced=False),
    "Secret": Resource("/api/v1", "secrets"),
    "ConfigMap": Resource("/api/v1", "configmaps"),
    "Service": Resource("/api/v1", "services"),
    "Pod": Resource("/api/v1", "pods"),
    "Deployment": Resource("/apis/apps/v1", "deployments"),
    "ReplicaSet": Resource("/apis/apps/v1", "replicasets"),
    "Job": Resource("/apis/batch/v1", "jobs"),
    "CronJob": Resource("/apis/batch/v1", "cronjobs"),
    "HorizontalPodAutoscaler": Resource("/apis/autoscaling/v2", "horizontalpodautoscalers"),
    "Ingress": Resource("/apis/networking.k8s.io/v1", "ingresses"),
    "Cluster": Resource("/apis/postgresql.cnpg.io/v1", "clusters"),
}


class ClusterError(DockyardError):
    """The API server refused a call (``status`` is its HTTP status)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, code="kubernetes.api_error")
        self.status = status


def path(kind: str, namespace: str | None = None, name: str | None = None) -> str:
    res = RESOURCES[kind]
    out = res.prefix
    if res.namespaced and namespace:
        out += f"/namespaces/{quote(namespace)}"
    out += f"/{res.plural}"
    return out + (f"/{quote(name)}" if name else "")


class Cluster:
    """The API server of one cluster, as Dockyard uses it."""

    def __init__(self, api: ApiClient, timeout: float = 30.0) -> None:
        self.api = api
        self.timeout = timeout

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str, context: str | None = None) -> Cluster:
        try:
            api = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context)
        except (OSError, kube_config.ConfigException) as exc:
            raise DockyardError(f"cannot use the kubeconfig {kubeconfig}: {exc}",
                                code="kubernetes.kubeconfig",
                                hint="Pass --kubeconfig FILE (a file kubectl can use).") from exc
        return cls(api)

    def _call(self, method: str, url: str, query: dict[str, str] | None = None,
              body: Any = None, content_type: str | None = None,
              stream: bool = False) -> Any:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        req = self.api.param_serialize(method=method, resource_path=url,
                                       query_params=list((query or {}).items()),
                                       header_params=headers, body=body,
                                       auth_settings=["BearerToken"])
        resp = self.api.call_api(*req, _request_timeout=None if stream else self.timeout)
        if stream:
            return resp.response
        data = resp.read()  # type: ignore[no-untyped-call]
        if not 200 <= resp.status <= 299:
            raise ClusterError(resp.status, _message(method, url, resp.status, data))
        return data

    def _json(self, method: str, url: str, **kw: Any) -> Obj:
        data = self._call(method, url, **kw)
        result: Obj = json.loads(data) if data else {}
        return result

    def apply(self, manifest: Obj) -> Obj:
        """Create or update ``manifest`` (server-side apply, Dockyard owns its fields)."""
        meta = manifest["metadata"]
        url = path(manifest["kind"], meta.get("namespace"), meta["name"])
        return self._json("PATCH", url, query={"fieldManager": FIELD_MANAGER, "force": "true"},
                          body=manifest, content_type=APPLY)

    def create(self, manifest: Obj) -> Obj:
        url = path(manifest["kind"], manifest["metadata"].get("namespace"))
        return self._json("POST", url, body=manifest)

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        try:
            return self._json("GET", path(kind, namespace, name))
        except ClusterError as exc:
            if exc.status == 404:
                return None
            raise

    def list(self, kind: str, namespace: str | None, selector: str = "") -> list[Obj]:
        query = {"labelSelector": selector} if selector else {}
        items: list[Obj] = self._json("GET", path(kind, namespace), query=query)["items"]
        return items

    def patch(self, kind: str, namespace: str | None, name: str, change: Obj) -> Obj:
        """A JSON merge patch (rollbacks, restarts)."""
        return self._json("PATCH", path(kind, namespace, name), body=change, content_type=MERGE)

    def delete(self, kind: str, namespace: str | None, name: str) -> bool:
        """Delete (dependents in the background); False when it was not there."""
        try:
            self._json("DELETE", path(kind, namespace, name),
                       body={"propagationPolicy": "Background"})
        except ClusterError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def pod_log(self, namespace: str, pod: str, tail: int | None = None) -> str:
        query = {"tailLines": str(tail)} if tail else {}
        url = path("Pod", namespace, pod) + "/log"
        try:
            data = self._call("GET", url, query=query)
        except ClusterError as exc:
            if exc.status in (400, 404):  # not started yet, or gone
                return ""
            raise
        return bytes(data).decode("utf-8", errors="replace")

    def watch(self, kind: str, namespace: str | None, *, name: str | None = None,
              selector: str = "", timeout: int = 60,
              resource_version: str | None = None) -> Iterator[tuple[str, Obj]]:
        """Events (``ADDED``, ``MODIFIED``, ``DELETED``) for one object or a selection, until
        the server ends the watch after ``timeout`` seconds."""
        query: dict[str, str] = {"timeoutSeconds": str(timeout)}
        if name:
            query["fieldSelector"] = f"metadata.name={name}"
        if selector:
            query["labelSelector"] = selector
        if resource_version:
            query["resourceVersion"] = resource_version
        url = path(kind, namespace)

        def open_stream(**kw: Any) -> Any:
            return self._call("GET", url, query={**query, "watch": "true"}, stream=True)

        watcher = kube_watch.Watch(return_type=dict)  # type: ignore[no-untyped-call]
        events = watcher.stream(open_stream,  # type: ignore[no-untyped-call]
                                deserialize=False, timeout_seconds=timeout)
        for event in events:
            if event.get("type") == "ERROR":
                status = event.get("object", {})
                raise ClusterError(int(status.get("code", 500)), str(status.get("message")))
            yield str(event["type"]), event["object"]


def _message(method: str, url: str, status: int, data: bytes) -> str:
    try:
        detail = json.loads(data).get("message", "")
    except ValueError:
        detail = data[:200].decode("utf-8", errors="replace")
    return f"Kubernetes API {method} {url}: {status} {detail}".strip()
