"""Dockyard's apps on a Kubernetes cluster: the same spec as Deployments, Services, an
Ingress, Jobs and CronJobs, driven through the official ``kubernetes`` client.

``render`` (pure, offline) turns a spec and a release into manifests; ``client`` is a small
typed wrapper of the client's untyped API; ``runtime.KubernetesRuntime`` implements the
``Runtime`` protocol on a cluster. Import the submodules; this package loads nothing heavy.
"""
