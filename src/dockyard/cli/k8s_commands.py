"""``dockyard k8s …``: Kubernetes helpers that need no server and no cluster."""

from __future__ import annotations

import click

from dockyard.cli.groups import cli


@cli.group()
def k8s() -> None:
    """Kubernetes: see what an app becomes on a cluster (offline)."""


@k8s.command("render")
@click.option("--spec", "spec_file", required=True, metavar="FILE",
              help="App Spec (YAML or JSON); - reads stdin.")
@click.option("--image-registry", metavar="R", default=None,
              help="Registry of the release images (default: a placeholder).")
@click.option("--base-domain", metavar="D", default="",
              help="Host <app>.D for apps whose spec has no domains.")
@click.option("--ingress-class", default="nginx", show_default=True)
@click.option("--cluster-issuer", default="letsencrypt", show_default=True,
              help="cert-manager ClusterIssuer for the domains' certificate; '' for none.")
@click.option("--release", default="manual", show_default=True,
              help="Release (deployment) id: labels, per-release names, image tags.")
def k8s_render(spec_file: str, image_registry: str | None, base_domain: str,
               ingress_class: str, cluster_issuer: str, release: str) -> None:
    """Print the Kubernetes manifests of an App Spec as YAML (no server, no cluster).

    SECRET values are written as placeholders; fill them in before applying.
    """
    from dockyard.cli import k8s as impl

    impl.render(spec_file, registry=image_registry, base_domain=base_domain,
                ingress_class=ingress_class, cluster_issuer=cluster_issuer, release=release)
