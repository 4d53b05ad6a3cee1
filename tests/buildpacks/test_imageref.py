"""Image references from a spec's ``image`` fields, and the registries.conf a build gets."""

from __future__ import annotations

import pytest

from dockyard.buildpacks.imageref import from_hosts, image_ref, registries_conf
from dockyard.errors import DockyardError


@pytest.mark.parametrize(("fields", "reference"), [
    ({"registry_type": "DOCKER_HUB", "repository": "nginx", "tag": "1.27"},
     "docker.io/library/nginx:1.27"),
    ({"registry_type": "DOCKER_HUB", "registry": "acme", "repository": "web"},
     "docker.io/acme/web:latest"),
    ({"registry_type": "GHCR", "registry": "acme", "repository": "web", "digest":
      "sha256:" + "a" * 64}, "ghcr.io/acme/web@sha256:" + "a" * 64),
    ({"registry_type": "DOCR", "repository": "api", "tag": "v2"},
     "registry.digitalocean.com/team/api:v2"),
    ({"registry_type": "DOCKER_HUB", "registry": "127.0.0.1:5000", "repository": "web"},
     "127.0.0.1:5000/web:latest"),
])
def test_the_spec_fields_make_the_reference_docker_would_pull(fields, reference) -> None:
    assert image_ref(fields, "registry.digitalocean.com/team").reference == reference


def test_a_docr_image_without_the_installation_s_registry_says_what_to_set() -> None:
    with pytest.raises(DockyardError) as err:
        image_ref({"registry_type": "DOCR", "repository": "api"}, "", "services[0].image")
    assert err.value.code == "image.docr_unconfigured"
    assert "services[0].image" in err.value.message and "docr_registry" in (err.value.hint or "")


@pytest.mark.parametrize(("fields", "field"), [
    ({"registry_type": "DOCKER_HUB", "repository": "Web"}, "repository"),
    ({"registry_type": "DOCKER_HUB", "repository": "web", "tag": "-bad"}, "tag"),
    ({"registry_type": "DOCKER_HUB", "repository": "web", "digest": "md5:00"}, "digest"),
])
def test_a_bad_reference_names_its_field(fields, field) -> None:
    with pytest.raises(DockyardError) as err:
        image_ref(fields, "", "image")
    assert err.value.message.startswith(f"image.{field}: ")


def test_mirrors_map_a_registry_to_another_and_loopback_ones_speak_http() -> None:
    conf = registries_conf(["127.0.0.1:5000", "ghcr.io"], {"docker.io": "127.0.0.1:6000",
                                                             "quay.io": "mirror.example/q"})
    assert 'unqualified-search-registries = ["docker.io"]' in conf
    assert '[[registry]]\nlocation = "127.0.0.1:5000"\ninsecure = true' in conf
    assert '[[registry]]\nprefix = "docker.io"\nlocation = "127.0.0.1:6000"\ninsecure = true' \
        in conf
    assert 'prefix = "quay.io"\nlocation = "mirror.example/q"\n' in conf
    assert "ghcr.io" not in conf, "TLS registries need no entry"


def test_from_lines_name_the_registries_a_build_pulls_from() -> None:
    dockerfile = ("ARG BASE=127.0.0.1:5000/base:1\nFROM ${BASE} AS build\n"
                  "FROM --platform=linux/amd64 python:3.12-slim\nFROM ghcr.io/acme/run:2\n")
    assert from_hosts(dockerfile, {}) == {"127.0.0.1:5000", "ghcr.io"}
    assert from_hosts(dockerfile, {"BASE": "localhost:7000/b"}) == {"localhost:7000", "ghcr.io"}
