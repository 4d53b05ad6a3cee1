"""Stable names and labels on the cluster, so a redeploy updates the same objects in place.

One namespace per app (``dockyard-<app>``); inside it each component's objects carry the
component's name. The selector labels never change over an app's life (a Deployment's
selector is immutable); the release (the deployment id) is a label of the pod template only.
"""

from __future__ import annotations

import hashlib
import re

PART_OF = "app.kubernetes.io/part-of"
NAME = "app.kubernetes.io/name"
COMPONENT_KIND = "app.kubernetes.io/component"
MANAGED_BY = "app.kubernetes.io/managed-by"
APP_ID = "dockyard.dev/app-id"
COMPONENT = "dockyard.dev/component"
RELEASE = "dockyard.dev/deployment"
JOB_KIND = "dockyard.dev/job-kind"
MANAGER = "dockyard"
DEFAULT_NAMESPACE_PREFIX = "dockyard-"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def dns_label(text: str, limit: int = 63) -> str:
    """``text`` as a DNS-1123 label: lower case, dashes, at most ``limit`` characters.

    A name that had to be shortened ends with a hash of the whole, so two long names that
    share a prefix stay apart.
    """
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "x"
    if len(label) <= limit:
        return label
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{label[: limit - 9].rstrip('-')}-{digest}"


def namespace(app: str, prefix: str = DEFAULT_NAMESPACE_PREFIX) -> str:
    return dns_label(prefix + app)


def short_release(release: str) -> str:
    """The part of a deployment id that goes into per-release names (Jobs, ConfigMaps)."""
    return dns_label(release.replace("-", ""))[:8]


def selector(app: str, component: str) -> dict[str, str]:
    """What a Service and a Deployment select pods by: fixed for the component's life."""
    return {PART_OF: dns_label(app), COMPONENT: dns_label(component)}


def app_labels(app: str, app_id: str) -> dict[str, str]:
    labels = {PART_OF: dns_label(app), MANAGED_BY: MANAGER}
    if app_id:
        labels[APP_ID] = dns_label(app_id)
    return labels


def labels(app: str, app_id: str, component: str, kind: str) -> dict[str, str]:
    """Every label of a component's objects (the selector's, plus descriptive ones)."""
    return {**app_labels(app, app_id), **selector(app, component), NAME: dns_label(component),
            COMPONENT_KIND: dns_label(kind)}


def release_name(base: str, release: str, limit: int = 52) -> str:
    """A name per release (``migrate-1a2b3c4d``); 52 leaves room for a Job's pod suffix."""
    return dns_label(f"{base}-{short_release(release)}", limit)
