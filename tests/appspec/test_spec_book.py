"""Real-world specs validate, and each one-rule breakage of them is caught by path."""

from __future__ import annotations

import pytest

from dockyard.appspec import SpecError, load_spec, load_spec_file

from .helpers import BOOK, SAMPLES

ALL_SPECS = sorted([*BOOK.glob("*.yaml"), *SAMPLES.glob("*.yaml"), *SAMPLES.glob("*.json")])
PROFILE = (BOOK / "profile-app.yaml").read_text()


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_world_specs_validate(path):
    doc = load_spec_file(path)
    assert doc.spec.name


def test_book_profile_app_keeps_its_details():
    doc = load_spec_file(BOOK / "profile-app.yaml")
    web = doc.spec.services[0]
    assert web.run_command.splitlines() == [
        "python manage.py migrate",
        "python manage.py collectstatic --noinput",
        "gunicorn --worker-tmp-dir /dev/shm config.wsgi",
    ]
    assert web.source_dir == "02/ProfileApp"
    assert doc.spec.static_sites[0].source_dir == "02/ProfileApp/static"
    assert web.instance_size_slug == "basic-xxs"
    secret = doc.spec.envs[2]
    assert secret.type == "SECRET" and secret.value.startswith("EV[1:")
    assert {e.key: e.value for e in doc.spec.envs}["DJANGO_ALLOWED_HOSTS"] == "${APP_DOMAIN}"


STATIC_TAIL = "  source_dir: 02/ProfileApp/static\n"
BROKEN = [
    # (id, old text, new text, path named, message fragment)
    ("app-name", "name: profile-app", "name: Profile_App", "name", '(found "Profile_App")'),
    ("app-name-long", "name: profile-app", "name: " + "a" * 33, "name", "2–32 characters"),
    ("component-name-dash", "name: pythonwebapps-02-static", "name: static-",
     "static_sites[0].name", 'not ending with "-"'),
    ("component-name-dup", "name: pythonwebapps-02-static", "name: pythonwebapps-02-profile-app",
     "static_sites[0].name", 'already uses it'),
    ("github-repo", "repo: Mark-Seaman/PythonWebApps\n  http_port",
     "repo: PythonWebApps\n  http_port", "services[0].github.repo", '"owner/repo"'),
    ("scope", "scope: RUN_AND_BUILD_TIME", "scope: RUNTIME", "envs[0].scope",
     'did you mean "RUN_TIME"?'),
    ("type", "type: SECRET", "type: SECRETS", "envs[2].type", "GENERAL, SECRET"),
    ("env-key", "key: DISABLE_COLLECTSTATIC", "key: DISABLE-COLLECTSTATIC", "envs[0].key",
     '(found "DISABLE-COLLECTSTATIC")'),
    ("env-value-type", 'value: "1"', "value: 1", "envs[0].value", 'quote it: "1"'),
    ("region", "region: nyc", "region: nyc1", "region", "atl, nyc, sfo"),
    ("instance-size", "basic-xxs", "basic-xxxs", "services[0].instance_size_slug",
     'did you mean "basic-xxs"?'),
    ("http-port-type", "http_port: 8080", "http_port: abc", "services[0].http_port",
     'expected an integer 1–65535, found "abc"'),
    ("http-port-range", "http_port: 8080", "http_port: 70000", "services[0].http_port",
     "found 70000"),
    ("instance-count", "instance_count: 1", "instance_count: 0", "services[0].instance_count",
     "1–250"),
    ("route-slash", "- path: /static", "- path: static", "static_sites[0].routes[0].path",
     'must start with "/" (found "static")'),
    ("route-dup", "- path: /static", "- path: /", "static_sites[0].routes[0].path",
     'services[0] ("pythonwebapps-02-profile-app") routes[0]'),
    ("unknown-field", "run_command: |", "run_comand: |", "services[0].run_comand",
     'did you mean "run_command"?'),
    ("bool-type", "deploy_on_push: true", "deploy_on_push: yes",
     "services[0].github.deploy_on_push", 'expected true or false, found "yes"'),
    ("bindable", "value: ${APP_DOMAIN}", "value: ${db.DATABASE_URL}", "envs[1].value",
     'no component named "db"'),
    ("missing-name", "  name: pythonwebapps-02-static\n", "", "static_sites[0].name",
     "required field is missing"),
    ("two-sources", STATIC_TAIL, STATIC_TAIL + "  git:\n    repo_clone_url: https://x.org/r.git\n",
     "static_sites[0].github", "exactly one of git, github, gitlab, bitbucket"),
    ("static-image", STATIC_TAIL, STATIC_TAIL + "  image:\n    repository: nginx\n",
     "static_sites[0].image", "cannot use an image source"),
    ("catchall-error", STATIC_TAIL,
     STATIC_TAIL + "  catchall_document: index.html\n  error_document: 404.html\n",
     "static_sites[0].catchall_document", "error_document"),
    ("count-autoscaling", "  source_dir: 02/ProfileApp\n",
     "  source_dir: 02/ProfileApp\n  autoscaling:\n    min_instance_count: 1\n"
     "    max_instance_count: 3\n", "services[0].instance_count", "autoscaling"),
]


@pytest.mark.parametrize(("old", "new", "path", "fragment"),
                         [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN])
def test_broken_book_spec_is_rejected_naming_the_field(old, new, path, fragment):
    assert old in PROFILE, f"fixture no longer contains {old!r}"
    text = PROFILE.replace(old, new, 1)
    with pytest.raises(SpecError) as caught:
        load_spec(text, "config/app.yaml")
    matching = [i for i in caught.value.issues if i.path == path]
    assert matching, f"no issue at {path}: {caught.value}"
    assert any(fragment in i.message for i in matching), str(caught.value)
    assert all(i.line is not None and i.file == "config/app.yaml" for i in matching)
