"""The App Spec as pydantic models: components, ingress, domains and the top level.

One class per DigitalOcean spec object, with godo's snake_case field names and the field matrix
of DigitalOcean's component matrix. Cross-field rules (one source, unique names, routes) live in
``rules.py``, which runs even when these models reject a field, so every problem is reported at
once.
"""

from collections.abc import Iterator
from typing import Annotated, ClassVar

from pydantic import BeforeValidator, Field

from .blocks import (
    Alert,
    BitbucketSource,
    Cors,
    EnvVar,
    GitHubSource,
    GitLabSource,
    GitSource,
    HealthCheck,
    ImageSource,
    InactivitySleep,
    LivenessHealthCheck,
    LogDestination,
    Route,
    ServiceAutoscaling,
    ServiceTermination,
    SpecModel,
    StringMatch,
    Termination,
    WorkerAutoscaling,
)
from .enums import (
    INSTANCE_SIZES,
    ComponentKind,
    DatabaseEngine,
    DomainType,
    EgressType,
    JobKind,
    LoadBalancer,
    Protocol,
    RedirectScheme,
    Region,
    TLSVersion,
)
from .errors import show
from .fields import (
    Bool,
    Cron,
    Document,
    DomainName,
    Duration,
    HttpsUrl,
    InsidePath,
    IntRange,
    Name,
    OneOf,
    Port,
    RoutePath,
    Str,
    Text,
    TimeZone,
    spec_error,
)
from .fields import Enum as E

REDIRECT_CODES = (300, 301, 302, 303, 304, 307, 308)
InstanceSize = OneOf(INSTANCE_SIZES)


class _Named(SpecModel):
    component_kind: ClassVar[ComponentKind]
    name: Name


class _FromRepo(_Named):
    git: GitSource | None = None
    github: GitHubSource | None = None
    gitlab: GitLabSource | None = None
    bitbucket: BitbucketSource | None = None


class _Built(_FromRepo):
    dockerfile_path: InsidePath | None = None
    build_command: Str | None = None
    source_dir: InsidePath | None = None
    environment_slug: Str | None = None
    envs: list[EnvVar] = Field(default_factory=list)


class _Runnable(_Built):
    image: ImageSource | None = None
    run_command: Str | None = None
    instance_size_slug: InstanceSize | None = None
    instance_count: IntRange(1, 250) = 1
    alerts: list[Alert] = Field(default_factory=list)
    log_destinations: list[LogDestination] = Field(default_factory=list)


class ServiceSpec(_Runnable):
    """Public HTTP workload; PORT is injected from http_port unless the user sets PORT."""

    component_kind = ComponentKind.SERVICE
    autoscaling: ServiceAutoscaling | None = None
    http_port: Port = 8080
    protocol: E(Protocol) = Protocol.HTTP
    internal_ports: list[Port] = Field(default_factory=list)
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    liveness_health_check: LivenessHealthCheck | None = None
    routes: list[Route] = Field(default_factory=list)
    cors: Cors | None = None
    termination: ServiceTermination = Field(default_factory=ServiceTermination)
    inactivity_sleep: InactivitySleep | None = None


class WorkerSpec(_Runnable):
    """Background workload: no port, no routes, no readiness check."""

    component_kind = ComponentKind.WORKER
    autoscaling: WorkerAutoscaling | None = None
    termination: Termination = Field(default_factory=Termination)
    liveness_health_check: LivenessHealthCheck | None = None


class JobSchedule(SpecModel):
    cron: Cron
    time_zone: TimeZone | None = None


class JobSpec(_Runnable):
    """Deploy-time or cron workload; UNSPECIFIED runs as POST_DEPLOY."""

    component_kind = ComponentKind.JOB
    kind: E(JobKind) = JobKind.UNSPECIFIED
    schedule: JobSchedule | None = None
    termination: Termination = Field(default_factory=Termination)
    timeout: Duration = "30m"

    @property
    def effective_kind(self) -> JobKind:
        """The kind DigitalOcean runs: UNSPECIFIED means POST_DEPLOY."""
        return JobKind.POST_DEPLOY if self.kind == JobKind.UNSPECIFIED else JobKind(self.kind)


class StaticSiteSpec(_Built):
    """Built assets served as files; catchall_document and error_document are exclusive."""

    component_kind = ComponentKind.STATIC_SITE
    output_dir: InsidePath | None = None
    index_document: Document = "index.html"
    error_document: Document = "404.html"
    catchall_document: Document | None = None
    routes: list[Route] = Field(default_factory=list)
    cors: Cors | None = None


class FunctionsSpec(_FromRepo):
    component_kind = ComponentKind.FUNCTIONS
    source_dir: InsidePath | None = None
    envs: list[EnvVar] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    log_destinations: list[LogDestination] = Field(default_factory=list)
    cors: Cors | None = None


class DatabaseSpec(_Named):
    """A dev database, or (production: true) an existing managed cluster."""

    component_kind = ComponentKind.DATABASE
    engine: E(DatabaseEngine) = DatabaseEngine.UNSET
    version: Str | None = None
    production: Bool = False
    cluster_name: Str | None = None
    db_name: Str | None = None
    db_user: Str | None = None
    size: Str | None = None  # deprecated
    num_nodes: IntRange(0) | None = None  # deprecated


Component = ServiceSpec | WorkerSpec | JobSpec | StaticSiteSpec | DatabaseSpec | FunctionsSpec


# -- ingress, domains, egress (§4) ----------------------------------------------------------

def _bool_or_word(value: object) -> object:
    """OpenAPI types preserve_path_prefix as a string ("true"); godo as a bool. Take both."""
    if value in ("true", "false"):
        return value == "true"
    if isinstance(value, bool):
        return value
    raise spec_error(f"expected true or false, found {show(value)}")


class PathMatch(SpecModel):
    prefix: RoutePath | None = None
    exact: RoutePath | None = None


class IngressMatch(SpecModel):
    path: PathMatch | None = None
    authority: StringMatch | None = None


class IngressComponent(SpecModel):
    name: Str
    preserve_path_prefix: Annotated[bool, BeforeValidator(_bool_or_word)] = False
    rewrite: RoutePath | None = None


class IngressRedirect(SpecModel):
    uri: Str | None = None
    authority: Str | None = None
    port: Port | None = None
    scheme: E(RedirectScheme) = RedirectScheme.HTTPS
    redirect_code: OneOf(REDIRECT_CODES) = 302


class IngressRule(SpecModel):
    match: IngressMatch | None = None
    component: IngressComponent | None = None
    redirect: IngressRedirect | None = None
    cors: Cors | None = None


class SecureHeader(SpecModel):
    key: Str
    value: Str | None = None
    remove_header: Bool = False


class IngressSpec(SpecModel):
    rules: list[IngressRule] = Field(default_factory=list)
    custom_error_page_url: HttpsUrl | None = None
    load_balancer: E(LoadBalancer) = LoadBalancer.UNKNOWN
    load_balancer_size: IntRange(0) | None = None
    secure_header: list[SecureHeader] = Field(default_factory=list)


class DomainSpec(SpecModel):
    domain: DomainName
    type: E(DomainType) = DomainType.UNSPECIFIED
    wildcard: Bool = False
    zone: Str | None = None
    minimum_tls_version: E(TLSVersion) | None = None
    certificate: Str | None = None


class EgressSpec(SpecModel):
    type: E(EgressType) = EgressType.AUTOASSIGN


class MaintenanceSpec(SpecModel):
    enabled: Bool = False
    archive: Bool = False
    offline_page_url: Str | None = None


class VpcSpec(SpecModel):
    id: Text(1)


# -- the app ---------------------------------------------------------------------------------

COMPONENT_LISTS: tuple[tuple[str, ComponentKind], ...] = (
    ("services", ComponentKind.SERVICE), ("workers", ComponentKind.WORKER),
    ("jobs", ComponentKind.JOB), ("static_sites", ComponentKind.STATIC_SITE),
    ("databases", ComponentKind.DATABASE), ("functions", ComponentKind.FUNCTIONS),
)
"""Spec list field and component kind, in godo's iteration order (ForEachAppComponentSpec)."""


class AppSpec(SpecModel):
    """The desired configuration of an app, as written in app.yaml."""

    name: Name
    region: E(Region) | None = None
    domains: list[DomainSpec] = Field(default_factory=list)
    services: list[ServiceSpec] = Field(default_factory=list)
    static_sites: list[StaticSiteSpec] = Field(default_factory=list)
    workers: list[WorkerSpec] = Field(default_factory=list)
    jobs: list[JobSpec] = Field(default_factory=list)
    functions: list[FunctionsSpec] = Field(default_factory=list)
    databases: list[DatabaseSpec] = Field(default_factory=list)
    envs: list[EnvVar] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    ingress: IngressSpec | None = None
    egress: EgressSpec | None = None
    features: list[Str] = Field(default_factory=list)
    maintenance: MaintenanceSpec | None = None
    vpc: VpcSpec | None = None
    disable_edge_cache: Bool = False
    disable_email_obfuscation: Bool = False
    enhanced_threat_control_enabled: Bool = False

    def components(self) -> Iterator[tuple[str, Component]]:
        """(kind, component) pairs in godo order: services, workers, jobs, static sites, ..."""
        for field, kind in COMPONENT_LISTS:
            for component in getattr(self, field):
                yield kind.value, component

    def component(self, name: str) -> Component | None:
        """The component with this name, whatever its kind."""
        return next((c for _, c in self.components() if c.name == name), None)
