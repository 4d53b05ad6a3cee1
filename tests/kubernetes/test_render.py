"""What each part of a spec becomes on a cluster (one test per mapping of the issue)."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.appspec import load_spec
from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.manifests_yaml import to_yaml
from dockyard.runtime.kubernetes.render import Rendered, render
from dockyard.runtime.kubernetes.target import SECRET_PLACEHOLDER, Target

APP = """
name: shop
domains:
- domain: shop.example.com
  type: PRIMARY
- domain: example.org
  type: ALIAS
  wildcard: true
envs:
- key: SITE
  value: ${APP_URL}
- key: API_TOKEN
  type: SECRET
  value: s3cr3t-value-xyz
- key: BUILD_ONLY
  scope: BUILD_TIME
  value: only-at-build
services:
- name: api
  github: {repo: acme/shop}
  run_command: gunicorn shop.wsgi
  http_port: 8000
  instance_count: 3
  instance_size_slug: apps-d-2vcpu-4gb
  internal_ports: [9090]
  health_check:
    http_path: /healthz
    initial_delay_seconds: 4
    period_seconds: 3
    timeout_seconds: 2
    success_threshold: 2
    failure_threshold: 5
  liveness_health_check:
    http_path: /livez
    failure_threshold: 7
  termination:
    drain_seconds: 20
    grace_period_seconds: 40
  routes:
  - path: /api
  envs:
  - key: DATABASE_URL
    scope: RUN_TIME
    value: ${db.DATABASE_URL}
  - key: REPORT_URL
    value: ${_self.PUBLIC_URL}
  - key: DB_NOTE
    scope: RUN_TIME
    value: host=${db.HOSTNAME} literal=$(NOT_EXPANDED)
- name: web
  github: {repo: acme/web}
  run_command: gunicorn web.wsgi
  instance_size_slug: basic-xxs
  routes:
  - path: /
  - path: /keep
    preserve_path_prefix: true
  envs:
  - key: API
    value: ${api.PRIVATE_URL}
- name: report
  github: {repo: acme/report}
  run_command: python serve.py
  autoscaling:
    min_instance_count: 2
    max_instance_count: 6
    metrics: {cpu: {percent: 65}}
  health_check: {}
static_sites:
- name: docs
  github: {repo: acme/docs}
  routes:
  - path: /docs
workers:
- name: queue
  github: {repo: acme/shop}
  run_command: celery worker
  instance_count: 2
  termination: {grace_period_seconds: 300}
jobs:
- name: migrate
  kind: PRE_DEPLOY
  timeout: 1h30m
  github: {repo: acme/shop}
  run_command: python manage.py migrate
- name: notify
  kind: POST_DEPLOY
  github: {repo: acme/shop}
  run_command: ./notify
- name: cleanup
  kind: FAILED_DEPLOY
  github: {repo: acme/shop}
  run_command: ./cleanup
- name: nightly
  kind: SCHEDULED
  schedule: {cron: "0 3 * * *", time_zone: Europe/Berlin}
  github: {repo: acme/shop}
  run_command: ./report
databases:
- name: db
  engine: PG
  version: "15"
  db_name: shopdb
  db_user: shopper
- name: ledger
  engine: PG
  production: true
  cluster_name: ledger-cluster
ingress:
  rules:
  - match: {path: {prefix: /v2}}
    component: {name: api, rewrite: /api/v2}
  - match: {path: {prefix: /old}}
    redirect: {uri: /new, redirect_code: 301}
"""
RELEASE = "5e1d9b2c-0000-4000-8000-000000000002"


def rendered(text: str = APP, **kw: Any) -> Rendered:
    spec = load_spec(text).spec
    target = Target(app=spec.name, app_id="7f3c2a10", release=kw.pop("release", RELEASE), **kw)
    return render(spec, target)


def container(manifest: dict[str, Any]) -> dict[str, Any]:
    spec = manifest["spec"]
    if manifest["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]["containers"][0]


def env_of(out: Rendered, component: str) -> dict[str, str]:
    config = out.named("ConfigMap", names.release_name(f"{component}-env", RELEASE, 63))
    return dict(config["data"])


def test_services_become_deployments_with_replicas_and_a_rolling_update_that_keeps_all() -> None:
    api = rendered().named("Deployment", "api")
    assert api["metadata"]["namespace"] == "dockyard-shop"
    assert api["spec"]["replicas"] == 3
    assert api["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": 0, "maxSurge": "100%"}}
    assert container(api)["command"] == ["/bin/bash", "-c", "gunicorn shop.wsgi"]
    assert container(api)["image"] == "registry.invalid/dockyard/shop/api:5e1d9b2c"


def test_readiness_comes_from_health_check_with_the_apps_host() -> None:
    probe = container(rendered().named("Deployment", "api"))["readinessProbe"]
    assert probe == {"httpGet": {"path": "/healthz", "port": 8000, "httpHeaders": [
        {"name": "Host", "value": "shop.example.com"}]}, "initialDelaySeconds": 4,
        "periodSeconds": 3, "timeoutSeconds": 2, "successThreshold": 2, "failureThreshold": 5}


def test_a_health_check_without_a_path_is_a_tcp_check_on_the_http_port() -> None:
    probe = container(rendered().named("Deployment", "report"))["readinessProbe"]
    assert probe["tcpSocket"] == {"port": 8080}
    assert "httpGet" not in probe


def test_liveness_comes_from_liveness_health_check() -> None:
    out = rendered()
    probe = container(out.named("Deployment", "api"))["livenessProbe"]
    assert probe["httpGet"]["path"] == "/livez"
    assert probe["failureThreshold"] == 7 and probe["initialDelaySeconds"] == 5
    assert "livenessProbe" not in container(out.named("Deployment", "web"))


def test_termination_drains_then_grants_the_grace_period() -> None:
    out = rendered()
    api = out.named("Deployment", "api")["spec"]["template"]["spec"]
    assert api["terminationGracePeriodSeconds"] == 60
    assert api["containers"][0]["lifecycle"]["preStop"]["exec"]["command"] == [
        "/bin/sh", "-c", "sleep 20"]
    queue = out.named("Deployment", "queue")["spec"]["template"]["spec"]
    assert queue["terminationGracePeriodSeconds"] == 300
    assert "lifecycle" not in queue["containers"][0]


@pytest.mark.parametrize(("component", "limits", "requests"), [
    ("api", {"cpu": "2", "memory": "4Gi"}, {"cpu": "2", "memory": "4Gi"}),      # dedicated
    ("web", {"cpu": "1", "memory": "512Mi"}, {"cpu": "250m", "memory": "512Mi"}),  # basic-xxs
    ("queue", {"cpu": "1", "memory": "512Mi"}, {"cpu": "250m", "memory": "512Mi"}),  # default
])
def test_resources_come_from_the_instance_size(component: str, limits: dict[str, str],
                                               requests: dict[str, str]) -> None:
    resources = container(rendered().named("Deployment", component))["resources"]
    assert resources == {"limits": limits, "requests": requests}


def test_a_service_gets_a_service_and_a_worker_does_not() -> None:
    out = rendered()
    api = out.named("Service", "api")
    assert api["spec"]["selector"] == {names.PART_OF: "shop", names.COMPONENT: "api"}
    assert [(p["name"], p["port"]) for p in api["spec"]["ports"]] == [
        ("http", 8000), ("internal-0", 9090)]
    assert "queue" not in {s["metadata"]["name"] for s in out.of_kind("Service")}
    assert out.named("Deployment", "queue")["spec"]["replicas"] == 2
    assert "ports" not in container(out.named("Deployment", "queue"))


def ingress_paths(out: Rendered, name: str) -> dict[str, tuple[str, str]]:
    ingress = out.named("Ingress", name)
    return {p["path"]: (p["pathType"], p["backend"]["service"]["name"])
            for rule in ingress["spec"]["rules"][:1] for p in rule["http"]["paths"]}


def test_routes_strip_their_prefix_unless_preserved() -> None:
    out = rendered()
    assert ingress_paths(out, "shop") == {"/": ("Prefix", "web"), "/keep": ("Prefix", "web")}
    strip = out.named("Ingress", "shop-strip")
    assert ingress_paths(out, "shop-strip") == {
        "/api(/|$)(.*)": ("ImplementationSpecific", "api"),
        "/docs(/|$)(.*)": ("ImplementationSpecific", "docs")}
    assert strip["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/use-regex": "true",
        "nginx.ingress.kubernetes.io/rewrite-target": "/$2"}


def test_an_ingress_rewrite_replaces_the_prefix() -> None:
    out = rendered()
    rewrite = next(i for i in out.of_kind("Ingress") if "-rewrite-" in i["metadata"]["name"])
    assert rewrite["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"] \
        == "/api/v2/$2"
    assert rewrite["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/v2(/|$)(.*)"


def test_a_redirect_rule_is_answered_by_the_ingress() -> None:
    out = rendered()
    redirect = next(i for i in out.of_kind("Ingress") if "-redirect-" in i["metadata"]["name"])
    annotations = redirect["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/permanent-redirect"] == "/new"
    assert annotations["nginx.ingress.kubernetes.io/permanent-redirect-code"] == "301"


def test_domains_are_the_hosts_with_a_cert_manager_certificate() -> None:
    out = rendered(cluster_issuer="letsencrypt-prod")
    hosts = ["shop.example.com", "*.example.org"]
    for ingress in out.of_kind("Ingress"):
        assert [r["host"] for r in ingress["spec"]["rules"]] == hosts
        assert ingress["spec"]["tls"] == [{"hosts": hosts, "secretName": "shop-tls"}]
        assert ingress["spec"]["ingressClassName"] == "nginx"
    first, *rest = out.of_kind("Ingress")
    assert first["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == \
        "letsencrypt-prod"
    assert all("cert-manager.io/cluster-issuer" not in i["metadata"].get("annotations", {})
               for i in rest), "one Certificate per Secret: only one Ingress asks for it"


def test_without_domains_the_host_comes_from_the_base_domain_or_is_any() -> None:
    text = "name: tiny\nservices:\n- name: web\n  github: {repo: a/b}\n  run_command: x\n"
    based = rendered(text, base_domain="apps.example.com")
    assert based.named("Ingress", "tiny")["spec"]["rules"][0]["host"] == "tiny.apps.example.com"
    assert env_of(based, "web") == {"PORT": "8080"}
    bare = rendered(text, cluster_issuer="")
    ingress = bare.named("Ingress", "tiny")
    assert "host" not in ingress["spec"]["rules"][0] and "tls" not in ingress["spec"]


def test_deploy_jobs_are_jobs_named_per_release_and_run_once() -> None:
    out = rendered()
    for name, kind in (("migrate", "PRE_DEPLOY"), ("notify", "POST_DEPLOY"),
                       ("cleanup", "FAILED_DEPLOY")):
        job = out.named("Job", f"{name}-5e1d9b2c")
        assert job["metadata"]["labels"][names.JOB_KIND] == kind
        assert job["spec"]["backoffLimit"] == 0
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert out.named("Job", "migrate-5e1d9b2c")["spec"]["activeDeadlineSeconds"] == 5400
    assert out.named("Job", "notify-5e1d9b2c")["spec"]["activeDeadlineSeconds"] == 1800


def test_scheduled_jobs_are_cron_jobs_in_their_time_zone() -> None:
    cron = rendered().named("CronJob", "nightly")
    assert cron["spec"]["schedule"] == "0 3 * * *"
    assert cron["spec"]["timeZone"] == "Europe/Berlin"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert container(cron)["command"] == ["/bin/bash", "-c", "./report"]


def test_general_envs_go_to_a_config_map_and_secrets_only_to_a_secret() -> None:
    out = rendered(reveal=lambda value: value)
    config = env_of(out, "web")
    assert config["SITE"] == "https://shop.example.com"
    assert "API_TOKEN" not in config and "BUILD_ONLY" not in config
    secret = out.named("Secret", names.release_name("web-secret", RELEASE, 63))
    assert secret["stringData"] == {"API_TOKEN": "s3cr3t-value-xyz"}
    assert secret["immutable"] is True
    for manifest in out.manifests:
        if manifest is not secret and manifest["kind"] != "Secret":
            assert "s3cr3t-value-xyz" not in to_yaml([manifest]), manifest["metadata"]
    sources = container(out.named("Deployment", "web"))["envFrom"]
    assert sources == [{"configMapRef": {"name": "web-env-5e1d9b2c"}},
                       {"secretRef": {"name": "web-secret-5e1d9b2c"}}]


def test_offline_rendering_never_writes_a_secret_value() -> None:
    out = rendered()
    assert "s3cr3t-value-xyz" not in to_yaml(out.manifests)
    secret = out.named("Secret", "web-secret-5e1d9b2c")
    assert secret["stringData"] == {"API_TOKEN": SECRET_PLACEHOLDER}


def test_bindable_variables_resolve_to_cluster_addresses() -> None:
    out = rendered(commits={"api": "abc123"})
    assert env_of(out, "web")["API"] == "http://api:8000"
    assert env_of(out, "api")["REPORT_URL"] == "https://shop.example.com/api"
    assert env_of(out, "api")["PORT"] == "8000"


def test_autoscaling_is_an_hpa_and_the_deployment_leaves_replicas_to_it() -> None:
    out = rendered()
    hpa = out.named("HorizontalPodAutoscaler", "report")
    assert hpa["spec"]["minReplicas"] == 2 and hpa["spec"]["maxReplicas"] == 6
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "report"}
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {
        "type": "Utilization", "averageUtilization": 65}
    assert "replicas" not in out.named("Deployment", "report")["spec"]


def test_a_dev_database_is_a_cloudnativepg_cluster_read_through_its_secret() -> None:
    out = rendered()
    cluster = out.named("Cluster", "db")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["bootstrap"]["initdb"] == {"database": "shopdb", "owner": "shopper"}
    assert cluster["spec"]["imageName"].endswith(":15")
    env = {e["name"]: e for e in container(out.named("Deployment", "api"))["env"]}
    assert env["DOCKYARD_DB_DB_DATABASE_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": "db-app", "key": "uri"}}
    assert env["DATABASE_URL"]["value"] == "$(DOCKYARD_DB_DB_DATABASE_URL)"
    assert env["DB_NOTE"]["value"] == "host=$(DOCKYARD_DB_DB_HOSTNAME) literal=$$(NOT_EXPANDED)"
    names_in_order = [e["name"] for e in container(out.named("Deployment", "api"))["env"]]
    assert names_in_order.index("DOCKYARD_DB_DB_HOSTNAME") < names_in_order.index("DB_NOTE")
    assert "DATABASE_URL" not in env_of(out, "api")


def test_a_production_database_is_an_external_url_in_a_secret() -> None:
    url = "postgresql://ledger:pw%21@pg.internal:6543/books"
    out = rendered(external_databases={"ledger": url})
    secret = out.named("Secret", "ledger-external")
    assert secret["stringData"]["uri"] == url
    assert secret["stringData"]["password"] == "pw!"
    assert secret["stringData"]["port"] == "6543" and secret["stringData"]["dbname"] == "books"
    assert not [c for c in out.of_kind("Cluster") if c["metadata"]["name"] == "ledger"]


def test_a_redeploy_keeps_every_name_and_selector_so_it_updates_in_place() -> None:
    first, second = rendered(release="aaaaaaaa-1"), rendered(release="bbbbbbbb-2")
    stable = ("Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "CronJob",
              "Cluster", "Namespace")

    def keyed(out: Rendered) -> dict[tuple[str, str], dict[str, Any]]:
        return {(m["kind"], m["metadata"]["name"]): m for m in out.manifests
                if m["kind"] in stable}

    a, b = keyed(first), keyed(second)
    assert a.keys() == b.keys()
    for key in a:
        if key[0] == "Deployment":
            assert a[key]["spec"]["selector"] == b[key]["spec"]["selector"]
            labels = b[key]["spec"]["template"]["metadata"]["labels"]
            assert labels[names.RELEASE] == "bbbbbbbb-2"
            assert names.RELEASE not in b[key]["spec"]["selector"]["matchLabels"]


def test_release_images_and_image_sources() -> None:
    out = rendered(images={"api": "registry.example.com/shop/api@sha256:" + "a" * 64})
    assert container(out.named("Deployment", "api"))["image"].endswith("@sha256:" + "a" * 64)
    text = """
name: mixed
services:
- name: proxy
  image: {registry_type: DOCKER_HUB, registry: library, repository: nginx, tag: "1.27"}
- name: pinned
  image: {registry_type: GHCR, registry: acme, repository: api, digest: "sha256:0123"}
functions:
- name: fns
  github: {repo: acme/fns}
"""
    mixed = rendered(text)
    assert container(mixed.named("Deployment", "proxy"))["image"] == "docker.io/library/nginx:1.27"
    assert "command" not in container(mixed.named("Deployment", "proxy"))
    assert container(mixed.named("Deployment", "pinned"))["image"] == \
        "ghcr.io/acme/api@sha256:0123"
    assert any("fns: functions components" in note for note in mixed.notes)
