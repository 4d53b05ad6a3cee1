"""Static sites and buildpack selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.buildpacks import build, read_release_json, select
from dockyard.errors import CommandFailed, DockyardError
from dockyard.logs import Log


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_static_site_is_copied_as_is_without_git(app_copy, make_request, log: Log) -> None:
    src = app_copy("static_site_basic")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = files(src)
    req = make_request(src, kind="static_site", component="site")
    result = build(req, log)
    assert result.buildpack == "html" and result.app_dir is None and result.venv is None
    assert result.site_dir == req.release / "site"
    assert files(result.site_dir) == {k: v for k, v in before.items() if not k.startswith(".git")}
    assert set(files(result.site_dir)) == {"404.html", "index.html", "css/x.css",
                                           "images/dot.png"}
    assert files(src) == before
    meta = read_release_json(req.release)
    assert meta["buildpack"] == "html" and meta["site_dir"] == str(req.release / "site")
    assert meta["python"] is None and meta["env_cache_hit"] is False


def test_output_dir_is_published_after_build_command(app_copy, make_request, log: Log) -> None:
    src = app_copy("static_site_basic")
    req = make_request(src, kind="static_site", output_dir="/dist", env={"STAMP": "v7"},
                       build_command="mkdir -p dist && cp index.html dist/ && "
                                     "echo \"$STAMP\" > dist/stamp.txt")
    result = build(req, log)
    assert result.site_dir is not None
    assert set(files(result.site_dir)) == {"index.html", "stamp.txt"}
    assert (result.site_dir / "stamp.txt").read_text() == "v7\n"
    assert not (src / "dist").exists()  # the checkout is never written


def test_unset_output_dir_after_a_build_scans_the_usual_folders(app_copy, make_request,
                                                                log: Log) -> None:
    src = app_copy("static_site_basic")
    req = make_request(src, kind="static_site",
                       build_command="mkdir public && cp -r index.html css public/")
    result = build(req, log)
    assert result.site_dir is not None
    assert set(files(result.site_dir)) == {"index.html", "css/x.css"}
    assert any("using 'public'" in n for n in result.notes)


@pytest.mark.parametrize(("output_dir", "code"), [
    ("dist", "build.output_dir_missing"), ("../..", "build.output_dir_escapes"),
])
def test_bad_output_dir_fails_the_build(app_copy, make_request, log: Log, output_dir: str,
                                        code: str) -> None:
    req = make_request(app_copy("static_site_basic"), kind="static_site", build_command="true",
                       output_dir=output_dir)
    with pytest.raises(DockyardError) as err:
        build(req, log)
    assert err.value.code == code
    assert not (req.release / "release.json").exists()


def test_failing_build_command_fails_with_its_output_in_the_log(app_copy, make_request,
                                                                log: Log) -> None:
    req = make_request(app_copy("static_site_basic"), kind="static_site",
                       build_command="echo compiling assets; exit 3")
    with pytest.raises(CommandFailed) as err:
        build(req, log)
    assert err.value.code == "build.command_failed" and err.value.returncode == 3
    assert "compiling assets" in log.path.read_text()


def test_environment_slug_html_wins_over_python_markers(tmp_path: Path, make_request) -> None:
    (tmp_path / "requirements.txt").write_text("django\n")
    pack, reason = select(make_request(tmp_path, kind="static_site", environment_slug="html",
                                       build_command="true"))
    assert pack.name == "html" and reason == "environment_slug: html"


def test_static_site_with_build_command_and_no_markers_uses_the_fallback(
        tmp_path: Path, make_request) -> None:
    pack, reason = select(make_request(tmp_path, kind="static_site", build_command="make"))
    assert pack.name == "html" and "no language markers" in reason


def test_static_site_in_a_python_repository_is_built_by_the_python_buildpack(
        tmp_path: Path, make_request) -> None:
    """DigitalOcean builds a Django static component with the Python buildpack
    (collectstatic), even without a build_command."""
    (tmp_path / "requirements.txt").write_text("django\n")
    pack, reason = select(make_request(tmp_path, kind="static_site"))
    assert pack.name == "python" and "collectstatic" in reason


def test_static_site_without_any_manifest_is_published_as_it_is(
        tmp_path: Path, make_request) -> None:
    (tmp_path / "index.html").write_text("<h1>hi</h1>")
    assert select(make_request(tmp_path, kind="static_site"))[0].name == "html"


def test_unknown_environment_slug_lists_the_supported_ones(tmp_path: Path,
                                                          make_request) -> None:
    with pytest.raises(DockyardError) as err:
        select(make_request(tmp_path, environment_slug="ruby"))
    assert err.value.code == "build.environment_unsupported"
    assert "'ruby'" in err.value.message
    assert "supported: python, node-js, go, html" in err.value.message


def test_service_without_a_manifest_says_what_was_looked_for_and_found(
        tmp_path: Path, make_request) -> None:
    app = tmp_path / "app"
    (app / "lib").mkdir(parents=True)
    (app / "index.js").write_text("")
    with pytest.raises(DockyardError) as err:
        select(make_request(app))
    assert err.value.code == "build.buildpack_not_detected"
    message = err.value.message
    assert "looked for requirements.txt" in message and "(Python)" in message
    assert "package.json (Node.js)" in message and "go.mod (Go)" in message
    assert message.endswith("found index.js, lib/")


def test_a_release_directory_is_never_built_twice(app_copy, make_request, log: Log) -> None:
    req = make_request(app_copy("static_site_basic"), kind="static_site")
    build(req, log)
    before = files(req.release)
    with pytest.raises(DockyardError) as err:
        build(req, log)
    assert err.value.code == "build.release_not_empty"
    assert files(req.release) == before
