"""``dockyard k8s render`` (offline) and ``dockyard up --runtime kubernetes`` settings."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from dockyard.errors import DockyardError
from dockyard.paths import Home
from dockyard.settings import choose_runtime, load_settings, save_settings
from tests.conftest import DOCKYARD, EXAMPLE
from tests.kubernetes.schemas import VERSIONS, schema_errors

SPEC = EXAMPLE / "config" / "app.yaml"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKYARD_HOME": str(home)}
    return subprocess.run([DOCKYARD, *args], capture_output=True, text=True, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_render_prints_valid_manifests_offline_without_secret_values(tmp_path: Path) -> None:
    proc = run("k8s", "render", "--spec", str(SPEC), "--image-registry", "reg.example.com/dy",
               "--release", "r1", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    docs = list(YAML(typ="safe").load_all(proc.stdout))
    kinds = [d["kind"] for d in docs]
    assert kinds[0] == "Namespace" and "Deployment" in kinds and "Ingress" in kinds
    web = next(d for d in docs if d["kind"] == "Deployment")
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "reg.example.com/dy/profileapp/web:r1"
    assert "dev-only-change-me" not in proc.stdout, "the spec's SECRET value is not printed"
    assert proc.stdout.startswith("# Kubernetes manifests of app 'profileapp'")
    assert schema_errors(docs, VERSIONS[-1]) == []
    assert not (tmp_path / "config.json").exists(), "rendering needs no installation"


def test_render_of_a_broken_spec_says_where(tmp_path: Path) -> None:
    bad = tmp_path / "app.yaml"
    bad.write_text("name: x\nservices:\n- name: web\n  instance_count: zero\n")
    proc = run("k8s", "render", "--spec", str(bad), home=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "services[0].instance_count" in proc.stderr


def test_up_refuses_the_kubernetes_runtime_without_its_flags(tmp_path: Path) -> None:
    proc = run("up", "--runtime", "kubernetes", home=tmp_path)
    assert proc.returncode == 1
    assert "needs --kubeconfig FILE and --image-registry R" in proc.stderr
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["runtime"] == "local", "nothing about the runtime changed"


def test_runtime_settings_are_checked_and_kept_in_config_json(tmp_path: Path) -> None:
    home = Home(tmp_path)
    settings = load_settings(home)
    with pytest.raises(DockyardError, match="no such file"):
        choose_runtime(settings, "kubernetes", str(tmp_path / "missing"), "reg.example.com")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("{}")
    choose_runtime(settings, "kubernetes", str(kubeconfig), "reg.example.com/dy/")
    save_settings(home, settings)
    again = load_settings(home)
    assert (again.runtime, again.kubeconfig, again.image_registry) == (
        "kubernetes", str(kubeconfig), "reg.example.com/dy")
    with pytest.raises(DockyardError, match="expected one of local, kubernetes"):
        choose_runtime(again, "nomad", None, None)
