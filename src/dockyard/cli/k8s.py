"""``dockyard k8s render``: the manifests of a spec, offline."""

from __future__ import annotations

import sys


def render(spec_file: str, *, registry: str | None, base_domain: str, ingress_class: str,
           cluster_issuer: str, release: str) -> None:
    from dockyard.appspec import load_spec_file
    from dockyard.runtime.kubernetes.manifests_yaml import to_yaml
    from dockyard.runtime.kubernetes.render import render as render_spec
    from dockyard.runtime.kubernetes.target import PLACEHOLDER_REGISTRY, Target

    spec = load_spec_file(spec_file).spec
    target = Target(app=spec.name, release=release, registry=registry or PLACEHOLDER_REGISTRY,
                    base_domain=base_domain, ingress_class=ingress_class,
                    cluster_issuer=cluster_issuer)
    rendered = render_spec(spec, target)
    header = [f"Kubernetes manifests of app '{spec.name}' (dockyard k8s render, release "
              f"{release}).", "SECRET values and external database URLs are placeholders "
              "(REPLACE-ME): fill them in before applying."]
    if not registry:
        header.append(f"Images are named in {PLACEHOLDER_REGISTRY}: pass --image-registry.")
    header += [f"Note: {note}" for note in rendered.notes]
    sys.stdout.write(to_yaml(rendered.manifests, "\n".join(header)))
