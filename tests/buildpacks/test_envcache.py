"""The shared environment cache: reuse on code-only changes, rebuild on dependency changes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dockyard.buildpacks import BuildResult, build
from dockyard.logs import Log

pytestmark = pytest.mark.slow


def timed_build(make_request, src: Path, deployment: str, log: Log,
                **kw: object) -> tuple[BuildResult, float]:
    started = time.monotonic()
    result = build(make_request(src, deployment=deployment, **kw), log)
    return result, time.monotonic() - started


def test_code_only_change_reuses_the_environment(app_copy, make_request, log: Log) -> None:
    src = app_copy("python_minimal")
    first, _ = timed_build(make_request, src, "d1", log)
    (src / "mysite" / "urls.py").write_text((src / "mysite" / "urls.py").read_text()
                                            .replace("hello from", "hi from"))
    second, seconds = timed_build(make_request, src, "d2", log)
    assert not first.env_cache_hit and second.env_cache_hit
    assert second.venv == first.venv and first.venv is not None
    key = first.venv.name
    text = log.path.read_text()
    assert f"-----> Creating environment {key[:12]} (first build of this component)" in text
    assert f"-----> Reusing environment {key[:12]} (requirements.txt unchanged)" in text
    assert "Installing dependencies" not in text.split("Reusing environment")[1]
    assert seconds < 5, f"a cached build took {seconds:.1f}s"
    assert second.app_dir is not None
    assert "hi from" in (second.app_dir / "mysite" / "urls.py").read_text()
    assert first.app_dir is not None
    assert "hello from" in (first.app_dir / "mysite" / "urls.py").read_text()


def test_requirements_change_builds_a_new_environment_and_keeps_the_old(
        app_copy, make_request, log: Log) -> None:
    src = app_copy("python_procfile")
    first, _ = timed_build(make_request, src, "d1", log)
    (src / "requirements.txt").write_text("gunicorn==27.0.1\n# now with a comment\n")
    second, _ = timed_build(make_request, src, "d2", log)
    assert not second.env_cache_hit and second.venv != first.venv
    assert first.venv is not None and (first.venv / "bin" / "gunicorn").exists()
    assert second.venv is not None
    assert f"Creating environment {second.venv.name[:12]} (requirements.txt changed)" in \
        log.path.read_text()


def test_force_rebuild_replaces_the_environment_in_place(app_copy, make_request,
                                                         log: Log) -> None:
    src = app_copy("python_procfile")
    first, _ = timed_build(make_request, src, "d1", log)
    assert first.venv is not None
    marker = first.venv / "stale-marker"
    marker.write_text("x")
    second, _ = timed_build(make_request, src, "d2", log, force_rebuild=True)
    assert second.venv == first.venv and not second.env_cache_hit
    assert not marker.exists() and (second.venv / "bin" / "gunicorn").exists()
    assert "(force rebuild requested)" in log.path.read_text()
    leftovers = [p.name for p in first.venv.parent.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_concurrent_builds_share_one_environment(app_copy, make_request,
                                                 tmp_path: Path) -> None:
    src = app_copy("python_procfile")
    logs = [Log(tmp_path / f"build{i}.log") for i in range(3)]
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(
                lambda i: build(make_request(src, deployment=f"d{i}"), logs[i]), range(3)))
    finally:
        for log in logs:
            log.close()
    assert len({r.venv for r in results}) == 1
    assert sum(not r.env_cache_hit for r in results) == 1
    envs = results[0].venv.parent if results[0].venv else tmp_path
    assert sorted(p.name for p in envs.iterdir() if not p.name.startswith(".locks")) == \
        [results[0].venv.name if results[0].venv else ""]
