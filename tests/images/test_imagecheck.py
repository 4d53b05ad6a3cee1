"""``apps propose`` asks a registry for an image's manifest (a real local registry)."""

from __future__ import annotations

import subprocess

import pytest

from dockyard.buildpacks.imagecheck import missing_reason
from dockyard.buildpacks.imageref import ImageRef
from dockyard.settings import free_port

pytestmark = pytest.mark.slow


def test_a_registry_that_has_the_image_or_not_or_cannot_be_reached(
        local_registry, buildah, base_image) -> None:  # type: ignore[no-untyped-def]
    subprocess.run(buildah.argv("push", "--quiet", "--tls-verify=false", base_image,
                                f"docker://{local_registry.host}/acme/base:1"),
                   check=True, capture_output=True)
    here = ImageRef(local_registry.host, "acme/base", "1")
    assert missing_reason(here) is None
    assert missing_reason(ImageRef(local_registry.host, "acme/base", "2")) == \
        f"the registry {local_registry.host} has no image acme/base:2"
    # through a mirror: docker.io/acme/base is looked up in the local registry
    assert missing_reason(ImageRef("docker.io", "acme/base", "1"),
                          {"docker.io": local_registry.host}) is None
    nobody = f"127.0.0.1:{free_port()}"
    why = missing_reason(ImageRef(nobody, "acme/base", "1"), timeout=2)
    assert why is not None and why.startswith(f"the registry {nobody} could not be reached")
