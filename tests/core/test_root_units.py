"""Root modules every layer leans on: errors, untrusted input, the admin token, the entry-point
table, private files, settings beyond the local live URL, try-locks and lazy exports."""

from __future__ import annotations

import importlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard import entrypoints
from dockyard.errors import CommandFailed, Conflict, DockyardError, NotFound
from dockyard.files import OWNER_MARK, chown_tree, own_tree_once, write_private
from dockyard.locks import deploy_lock_held, deploy_lock_path, lock_held, try_lock
from dockyard.paths import Home
from dockyard.secrets import admin_token_path, ensure_admin_token, read_admin_token
from dockyard.settings import Settings, choose_runtime, load_settings
from dockyard.untrusted import decode_utf8, json_depth, loads, printable, unpaired_surrogate


# -- errors ------------------------------------------------------------------------------------
def test_an_error_prints_its_hint_on_the_next_line_and_keeps_its_code() -> None:
    err = DockyardError("spec.yaml: name is missing", code="spec.invalid", hint="Add name: x")
    assert str(err) == "spec.yaml: name is missing\nAdd name: x"
    assert (err.message, err.code, err.status) == ("spec.yaml: name is missing", "spec.invalid",
                                                   400)
    assert str(DockyardError("plain")) == "plain" and DockyardError("x").code == "dockyard.error"


def test_subclasses_answer_with_their_own_status_and_default_code() -> None:
    assert (NotFound("x").status, NotFound("x").code) == (404, "not_found")
    assert (Conflict("x").status, Conflict("x").code) == (409, "conflict")
    assert NotFound("x", code="app.not_found").code == "app.not_found"
    assert NotFound.code == "not_found"     # a code given to one error does not stick to the class


def test_a_failed_command_keeps_its_tail_and_full_output() -> None:
    err = CommandFailed("pip failed", returncode=2, tail=["last"])
    assert (err.returncode, err.tail, err.output, err.code) == (2, ["last"], ["last"],
                                                                "command.failed")
    full = CommandFailed("x", tail=["c"], output=["a", "b", "c"])
    assert full.output == ["a", "b", "c"] and CommandFailed("x").tail == []


# -- untrusted input ---------------------------------------------------------------------------
def test_json_from_the_network_parses_with_a_utf8_bom() -> None:
    assert loads(b'\xef\xbb\xbf{"name": "caf\xc3\xa9"}') == {"name": "café"}
    assert loads('["str input"]') == ["str input"]


@pytest.mark.parametrize(("raw", "message"), [
    ('{"a": 1'.encode("utf-16"), "request body is UTF-16 or UTF-32 text; send it as UTF-8"),
    (b"\x00{\x00}", "request body is UTF-16 or UTF-32 text; send it as UTF-8"),  # no BOM
    (b'{"a": "\xff"}', "request body is not UTF-8 text: byte 0xff at offset 7 (invalid start "
                       "byte)"),
    (b'{"a": }', "request body is not valid JSON: Expecting value at line 1 column 7"),
    (b"[" * 101 + b"]" * 101, "request body is nested more than 100 levels deep"),
    (b'{"spec": {"name": "\\ud800"}}', 'request body holds an unpaired UTF-16 surrogate (such '
                                       'as "\\ud800") at spec.name; text must be valid Unicode'),
    (b'[1, {"\\udfff": 2}]', "at [1].\\udfff"),
])
def test_bad_json_is_refused_with_a_plain_message(raw: bytes, message: str) -> None:
    with pytest.raises(DockyardError) as err:
        loads(raw)
    assert err.value.code == "bad_request"
    assert message in err.value.message


def test_depth_ignores_brackets_inside_strings_and_escaped_quotes() -> None:
    assert json_depth('{"a": "[[[{{{", "b": [1]}') == 2
    assert json_depth('["\\"[[[", []]') == 2
    assert json_depth("") == 0
    assert loads(b"[" * 100 + b"]" * 100) is not None    # exactly the limit is fine
    assert loads('{"x": "' + "[" * 500 + '"}') == {"x": "[" * 500}


def test_deep_json_with_a_lower_limit_names_what_was_read() -> None:
    with pytest.raises(DockyardError, match="^app.json is nested more than 2 levels deep$"):
        loads(b'{"a": {"b": {}}}', "app.json", max_depth=2)


def test_surrogates_are_found_in_keys_and_made_printable() -> None:
    assert unpaired_surrogate({"ok": ["fine", {"k\udc80": 1}]}) == ".ok[1].k\\udc80"
    assert unpaired_surrogate("\ud800") == "(top level)"
    assert unpaired_surrogate({"a": [1, 2.5, None, True]}) is None
    assert printable("a\ud800b") == "a\\ud800b"
    deep: object = "\ud800"
    for _ in range(5000):                       # iterative: no RecursionError
        deep = [deep]
    assert unpaired_surrogate(deep) == "[0]" * 5000


def test_decode_names_what_it_decodes() -> None:
    assert decode_utf8(b"\xef\xbb\xbfname: x\n", ".do/app.yaml") == "name: x\n"
    with pytest.raises(DockyardError, match=r"^\.do/app\.yaml is not UTF-8 text: byte 0xe9"):
        decode_utf8(b"name: caf\xe9", ".do/app.yaml")


# -- the admin token ---------------------------------------------------------------------------
def test_the_admin_token_is_made_once_private_and_read_back(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with pytest.raises(DockyardError) as err:
        read_admin_token(home)
    assert "no admin token at" in err.value.message and "dockyard up" in (err.value.hint or "")
    ensure_admin_token(home)
    token = read_admin_token(home)
    assert token.startswith("dky_") and len(token) > 40 and "\n" not in token
    assert stat.S_IMODE(admin_token_path(home).stat().st_mode) == 0o600
    ensure_admin_token(home)
    assert read_admin_token(home) == token


# -- entry points ------------------------------------------------------------------------------
def test_argv_runs_a_module_with_our_own_interpreter() -> None:
    assert entrypoints.argv(entrypoints.DEPLOY_WORKER, "app", "dep") == [
        sys.executable, "-m", "dockyard.deploy.worker", "app", "dep"]


@pytest.mark.parametrize("name", sorted(entrypoints.OFFLOADED))
def test_every_offloaded_name_points_at_a_function(name: str) -> None:
    module, _, function = entrypoints.OFFLOADED[name].partition(":")
    assert callable(getattr(importlib.import_module(module), function))


@pytest.mark.parametrize("module", [m for m in entrypoints.MODULES])
def test_every_child_module_can_run_as_a_main_module(module: str) -> None:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    assert "__main__" in Path(spec.origin).read_text(), f"{module} has no __main__ block"


# -- files -------------------------------------------------------------------------------------
def test_a_private_file_replaces_the_old_one_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "key"
    write_private(target, b"one")
    os.chmod(target, 0o644)                  # someone loosened it: the next write fixes that
    write_private(target, b"two")
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["key"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files away needs root")
def test_chown_tree_gives_everything_away_but_never_follows_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_text("keep mine")
    root = tmp_path / "tree"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f").write_text("x")
    (root / "link").symlink_to(outside)
    chown_tree(root, 200123, 200124)
    for path in (root, root / "a", root / "a" / "b", root / "a" / "b" / "f", root / "link"):
        st = path.lstat()
        assert (st.st_uid, st.st_gid) == (200123, 200124), path
    assert outside.stat().st_uid == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files away needs root")
def test_chown_tree_of_a_link_gives_away_the_link_and_never_walks_its_target(
        tmp_path: Path) -> None:
    target = tmp_path / "etc"
    (target / "sub").mkdir(parents=True)
    (target / "passwd").write_text("root:x:0:0\n")
    release_app = tmp_path / "app"
    release_app.symlink_to(target)
    chown_tree(release_app, 200123, 200124)
    assert release_app.lstat().st_uid == 200123
    assert [p.stat().st_uid for p in (target, target / "sub", target / "passwd")] == [0, 0, 0]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files away needs root")
def test_own_tree_once_walks_a_cache_only_when_root_may_have_written_to_it(
        tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "envs").mkdir(parents=True)
    (cache / "envs" / "a").write_text("x")
    assert own_tree_once(cache, 200123, 200124)          # first time: walked
    assert (cache / "envs" / "a").stat().st_uid == 200123
    (cache / "envs" / "b").write_text("root wrote this behind the mark's back")
    assert not own_tree_once(cache, 200123, 200124)      # marked: not walked again
    assert (cache / "envs" / "b").stat().st_uid == 0
    assert own_tree_once(cache, 200125, 200125)          # another owner: walked
    assert (cache / "envs" / "b").stat().st_uid == 200125
    assert not own_tree_once(cache, None)                # a build as root: mark dropped
    (cache / "envs" / "c").write_text("root's")
    assert own_tree_once(cache, 200125, 200125)
    assert (cache / "envs" / "c").stat().st_uid == 200125


def test_own_tree_once_never_follows_a_mark_the_owner_replaced_with_a_symlink(
        tmp_path: Path) -> None:
    victim = tmp_path / "passwd"
    victim.write_text("root:x:0:0\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / OWNER_MARK).symlink_to(victim)
    uid, gid = os.getuid(), os.getgid()
    assert own_tree_once(cache, uid, gid)
    assert victim.read_text() == "root:x:0:0\n"
    assert not (cache / OWNER_MARK).is_symlink()
    assert not own_tree_once(cache, uid, gid)


# -- settings ----------------------------------------------------------------------------------
def test_on_kubernetes_the_live_url_follows_the_issuer_and_base_domain() -> None:
    kube = Settings(runtime="kubernetes", kube_base_domain="apps.example.com.")
    assert kube.live_url(None, "shop") == "https://shop.apps.example.com"
    assert kube.live_url(None, "shop", "WWW.Shop.Example") == "https://www.shop.example"
    plain = Settings(runtime="kubernetes", kube_base_domain="k.example", kube_cluster_issuer="")
    assert plain.live_url(None, "shop") == "http://shop.k.example"
    assert Settings(runtime="kubernetes").live_url(None, "shop") == ""
    assert Settings().live_url(None, "shop") == ""        # local, not yet given a port


def test_the_public_api_url_uses_the_ingress_in_public_mode_only() -> None:
    local = Settings(api_port=9443)
    assert local.public_api_url == local.api_url == "https://127.0.0.1:9443"
    public = Settings(public=True, domain="Apps.Example.com", api_port=9443)
    assert public.public_api_url == "https://dockyard.apps.example.com"
    odd = Settings(public=True, domain="x.example", api_domain="API.x.example", https_port=8443)
    assert odd.public_api_url == "https://api.x.example:8443"
    assert odd.live_url(None, "shop") == "https://shop.x.example:8443"
    assert odd.default_ingress(None, "shop") == "https://shop.x.example:8443"


def test_choosing_kubernetes_needs_a_kubeconfig_file_and_a_registry(tmp_path: Path) -> None:
    settings = Settings()
    with pytest.raises(DockyardError) as err:
        choose_runtime(settings, "kubernetes", None, None)
    assert err.value.message == ("the kubernetes runtime needs --kubeconfig FILE and "
                                 "--image-registry R")
    with pytest.raises(DockyardError, match="no such file"):
        choose_runtime(settings, "kubernetes", str(tmp_path / "absent"), "reg.example/x/")
    (tmp_path / "kubeconfig").write_text("apiVersion: v1\n")
    choose_runtime(settings, None, str(tmp_path / "kubeconfig"), None, insecure_registry=True)
    assert settings.runtime == "kubernetes" and settings.image_registry == "reg.example/x"
    assert settings.kubeconfig == str(tmp_path / "kubeconfig") and settings.image_registry_insecure
    with pytest.raises(DockyardError, match="--runtime 'docker': expected one of local, "
                                            "kubernetes"):
        choose_runtime(settings, "docker", None, None)
    choose_runtime(settings, "local", None, None)
    assert settings.runtime == "local"


def test_environment_overrides_are_cast_to_the_settings_type(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    home = Home(tmp_path)
    tmp_path.joinpath("config.json").write_text(json.dumps({"metrics_seconds": 10,
                                                            "isolation": "auto"}))
    monkeypatch.setenv("DOCKYARD_METRICS_SECONDS", "2.5")
    monkeypatch.setenv("DOCKYARD_ISOLATION", "off")
    monkeypatch.setenv("DOCKYARD_IMAGE_STORE", "/srv/images")
    settings = load_settings(home)
    assert (settings.metrics_seconds, settings.isolation, settings.image_store) == (
        2.5, "off", "/srv/images")


@pytest.mark.parametrize(("text", "problem"), [
    ('{"api_port": 8443,', "is not valid JSON"), ("[8443]", "holds a JSON list, not an object")])
def test_a_damaged_config_file_is_a_clear_error(tmp_path: Path, text: str, problem: str) -> None:
    tmp_path.joinpath("config.json").write_text(text)
    with pytest.raises(DockyardError) as err:
        load_settings(Home(tmp_path))
    assert err.value.message.startswith(f"{tmp_path / 'config.json'} {problem}")
    assert err.value.code == "settings.invalid" and "remove it" in (err.value.hint or "")


# -- locks -------------------------------------------------------------------------------------
def test_try_lock_says_whether_it_got_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "x.lock"
    assert not lock_held(path)
    with try_lock(path) as first:
        assert first and lock_held(path)
        with try_lock(path) as second:       # another open file: flock refuses it
            assert not second
    assert not lock_held(path)
    with try_lock(path) as again:
        assert again


def test_a_deploy_lock_held_by_another_process_is_seen(tmp_path: Path) -> None:
    home = Home(tmp_path)
    path = deploy_lock_path(home, "app-1")
    assert not deploy_lock_held(home, "app-1")
    code = ("import sys, time\nfrom pathlib import Path\nfrom dockyard.locks import try_lock\n"
            "with try_lock(Path(sys.argv[1])) as got:\n    print(got, flush=True)\n"
            "    sys.stdin.readline()\n")
    with subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None and child.stdin is not None
        try:
            assert child.stdout.readline().strip() == "True"
            assert deploy_lock_held(home, "app-1") and not deploy_lock_held(home, "app-2")
        finally:
            child.stdin.close()
            child.wait(timeout=10)
    assert not deploy_lock_held(home, "app-1")


# -- lazy exports ------------------------------------------------------------------------------
def test_lazy_exports_import_on_first_use_and_refuse_unknown_names() -> None:
    import dockyard.router as router

    assert router.HAProxyRouter.__name__ == "HAProxyRouter"
    assert "HAProxyRouter" in vars(router)        # cached: the next lookup is a plain attribute
    with pytest.raises(AttributeError, match="module 'dockyard.router' has no attribute 'Nope'"):
        router.Nope  # noqa: B018
