"""Building blocks shared by components: sources, envs, checks, routes, alerts, logs.

Field names, defaults and ranges are DigitalOcean's (godo ``apps.gen.go``).
Defaults only fill what the user left out; ``model_fields_set`` keeps what they wrote.
"""

from pydantic import BaseModel, ConfigDict, Field

from .enums import (
    AlertOperator,
    AlertRule,
    AlertWindow,
    EnvScope,
    EnvType,
    RegistryType,
)
from .fields import (
    Bool,
    Branch,
    CloneUrl,
    Duration,
    EnvKey,
    GitHubRepo,
    HttpPath,
    HttpsUrl,
    IntRange,
    LogDestinationName,
    NestedRepo,
    Number,
    Port,
    RoutePath,
    Str,
    Text,
)
from .fields import Enum as E


class SpecModel(BaseModel):
    """Base of every spec model: unknown fields are errors, as with doctl's strict decoder."""

    model_config = ConfigDict(extra="forbid")


# -- sources (§2.1) -------------------------------------------------------------------------

class GitSource(SpecModel):
    repo_clone_url: CloneUrl
    branch: Branch | None = None


class GitHubSource(SpecModel):
    repo: GitHubRepo
    branch: Branch | None = None
    deploy_on_push: Bool = False


class GitLabSource(SpecModel):
    repo: NestedRepo
    branch: Branch | None = None
    deploy_on_push: Bool = False


class BitbucketSource(SpecModel):
    repo: NestedRepo
    branch: Branch | None = None
    deploy_on_push: Bool = False


class ImageDeployOnPush(SpecModel):
    enabled: Bool = False


class ImageSource(SpecModel):
    registry_type: E(RegistryType) = RegistryType.UNSPECIFIED
    registry: Text(0, 192) | None = None
    repository: Text(1, 192)
    tag: Text(1, 192) | None = None
    digest: Text(1, 192) | None = None
    registry_credentials: Str | None = None
    deploy_on_push: ImageDeployOnPush | None = None


GIT_SOURCES = ("git", "github", "gitlab", "bitbucket")
"""Repository sources, in the order messages list them."""


# -- environment variables (§5) -------------------------------------------------------------

class EnvVar(SpecModel):
    """A variable; ``value`` may hold ``${…}`` bindables or, for SECRET, ``EV[1:…:…]``."""

    key: EnvKey
    value: Str | None = None
    scope: E(EnvScope) = EnvScope.RUN_AND_BUILD_TIME
    type: E(EnvType) = EnvType.GENERAL


# -- health checks and termination (§2.4, §2.5) ---------------------------------------------

class HealthCheck(SpecModel):
    """Readiness check (services): failing stops traffic. No http_path means a TCP check."""

    initial_delay_seconds: IntRange(0, 3600) = 0
    period_seconds: IntRange(1, 300) = 10
    timeout_seconds: IntRange(1, 120) = 1
    success_threshold: IntRange(1, 50) = 1
    failure_threshold: IntRange(1, 50) = 9
    http_path: HttpPath | None = None
    port: Port | None = None
    path: HttpPath | None = None  # deprecated alias of http_path (godo)


class LivenessHealthCheck(SpecModel):
    """Liveness check (services, workers): failing restarts the container."""

    initial_delay_seconds: IntRange(0, 3600) = 5
    period_seconds: IntRange(1, 300) = 10
    timeout_seconds: IntRange(1, 120) = 1
    success_threshold: IntRange(1, 1) = 1
    failure_threshold: IntRange(1, 50) = 18
    http_path: HttpPath | None = None
    port: Port | None = None


class Termination(SpecModel):
    """Workers and jobs: SIGTERM to SIGKILL."""

    grace_period_seconds: IntRange(1, 600) = 120


class ServiceTermination(Termination):
    """Services also drain: selection for termination to SIGTERM."""

    drain_seconds: IntRange(1, 110) = 15


# -- scaling (§2.3) -------------------------------------------------------------------------

class CpuMetric(SpecModel):
    percent: IntRange(1, 100) = 80


class RequestsPerSecondMetric(SpecModel):
    per_instance: IntRange(1)


class RequestDurationMetric(SpecModel):
    p95_milliseconds: IntRange(1)


class WorkerMetrics(SpecModel):
    cpu: CpuMetric | None = None


class ServiceMetrics(WorkerMetrics):
    requests_per_second: RequestsPerSecondMetric | None = None
    request_duration: RequestDurationMetric | None = None


class WorkerAutoscaling(SpecModel):
    min_instance_count: IntRange(1, 250)
    max_instance_count: IntRange(1, 250)
    metrics: WorkerMetrics | None = None


class ServiceAutoscaling(WorkerAutoscaling):
    metrics: ServiceMetrics | None = None


# -- routes and CORS (§2.6) -----------------------------------------------------------------

class Route(SpecModel):
    """Deprecated per-component route; the matched prefix is stripped unless preserved."""

    path: RoutePath
    preserve_path_prefix: Bool = False


class StringMatch(SpecModel):
    exact: Text(0, 256) | None = None
    prefix: Text(1, 256) | None = None
    regex: Text(1, 256) | None = None


class Cors(SpecModel):
    allow_origins: list[StringMatch] = Field(default_factory=list)
    allow_methods: list[Str] = Field(default_factory=list)
    allow_headers: list[Str] = Field(default_factory=list)
    expose_headers: list[Str] = Field(default_factory=list)
    max_age: Duration | None = None
    allow_credentials: Bool = False


# -- alerts (§7) and log forwarding (§2.7) ---------------------------------------------------

class Alert(SpecModel):
    rule: E(AlertRule) = AlertRule.UNSPECIFIED_RULE
    disabled: Bool = False
    operator: E(AlertOperator) = AlertOperator.UNSPECIFIED_OPERATOR
    value: Number() | None = None
    window: E(AlertWindow) = AlertWindow.UNSPECIFIED_WINDOW


class Papertrail(SpecModel):
    endpoint: Str


class Datadog(SpecModel):
    endpoint: Str | None = None
    api_key: Str


class Logtail(SpecModel):
    token: Str | None = None


class OpenSearchBasicAuth(SpecModel):
    user: Str | None = None
    password: Str | None = None


class OpenSearch(SpecModel):
    endpoint: HttpsUrl | None = None
    basic_auth: OpenSearchBasicAuth | None = None
    index_name: Str = "logs"
    cluster_name: Str | None = None


class LogHeader(SpecModel):
    key: Str
    value: Str | None = None


class LogDestination(SpecModel):
    name: LogDestinationName
    papertrail: Papertrail | None = None
    datadog: Datadog | None = None
    logtail: Logtail | None = None
    open_search: OpenSearch | None = None
    endpoint: Str | None = None
    tls_insecure: Bool = False
    headers: list[LogHeader] = Field(default_factory=list)


class LoadingPage(SpecModel):
    enabled: Bool = False
    custom_url: Str | None = None


class InactivitySleep(SpecModel):
    after_seconds: IntRange(600, 86400) | None = None
    loading_page: LoadingPage | None = None
