"""DigitalOcean's enumerations, spelled exactly as in the App Spec (godo / OpenAPI)."""

from __future__ import annotations

from enum import StrEnum

from .sizes import SIZES


class ComponentKind(StrEnum):
    """Component types as godo names them in code and in the build env."""

    SERVICE = "service"
    WORKER = "worker"
    JOB = "job"
    STATIC_SITE = "static_site"
    DATABASE = "database"
    FUNCTIONS = "functions"


class Region(StrEnum):
    ATL = "atl"
    NYC = "nyc"
    SFO = "sfo"
    TOR = "tor"
    AMS = "ams"
    FRA = "fra"
    LON = "lon"
    BLR = "blr"
    SGP = "sgp"
    SYD = "syd"


INSTANCE_SIZES: tuple[str, ...] = tuple(size.slug for size in SIZES)


class EnvScope(StrEnum):
    UNSET = "UNSET"
    RUN_TIME = "RUN_TIME"
    BUILD_TIME = "BUILD_TIME"
    RUN_AND_BUILD_TIME = "RUN_AND_BUILD_TIME"


class EnvType(StrEnum):
    GENERAL = "GENERAL"
    SECRET = "SECRET"


class JobKind(StrEnum):
    """UNSPECIFIED behaves as POST_DEPLOY; SCHEDULED needs ``schedule.cron``."""

    UNSPECIFIED = "UNSPECIFIED"
    PRE_DEPLOY = "PRE_DEPLOY"
    POST_DEPLOY = "POST_DEPLOY"
    FAILED_DEPLOY = "FAILED_DEPLOY"
    SCHEDULED = "SCHEDULED"


class DatabaseEngine(StrEnum):
    UNSET = "UNSET"
    MYSQL = "MYSQL"
    PG = "PG"
    REDIS = "REDIS"
    MONGODB = "MONGODB"
    KAFKA = "KAFKA"
    OPENSEARCH = "OPENSEARCH"
    VALKEY = "VALKEY"


class AlertRule(StrEnum):
    UNSPECIFIED_RULE = "UNSPECIFIED_RULE"
    CPU_UTILIZATION = "CPU_UTILIZATION"
    MEM_UTILIZATION = "MEM_UTILIZATION"
    RESTART_COUNT = "RESTART_COUNT"
    DEPLOYMENT_FAILED = "DEPLOYMENT_FAILED"
    DEPLOYMENT_LIVE = "DEPLOYMENT_LIVE"
    DEPLOYMENT_STARTED = "DEPLOYMENT_STARTED"
    DEPLOYMENT_CANCELED = "DEPLOYMENT_CANCELED"
    DOMAIN_FAILED = "DOMAIN_FAILED"
    DOMAIN_LIVE = "DOMAIN_LIVE"
    AUTOSCALE_FAILED = "AUTOSCALE_FAILED"
    AUTOSCALE_SUCCEEDED = "AUTOSCALE_SUCCEEDED"
    JOB_INVOCATION_FAILED = "JOB_INVOCATION_FAILED"
    FUNCTIONS_ACTIVATION_COUNT = "FUNCTIONS_ACTIVATION_COUNT"
    FUNCTIONS_AVERAGE_DURATION_MS = "FUNCTIONS_AVERAGE_DURATION_MS"
    FUNCTIONS_ERROR_RATE_PER_MINUTE = "FUNCTIONS_ERROR_RATE_PER_MINUTE"
    FUNCTIONS_AVERAGE_WAIT_TIME_MS = "FUNCTIONS_AVERAGE_WAIT_TIME_MS"
    FUNCTIONS_ERROR_COUNT = "FUNCTIONS_ERROR_COUNT"
    FUNCTIONS_GB_RATE_PER_SECOND = "FUNCTIONS_GB_RATE_PER_SECOND"
    REQUESTS_PER_SECOND = "REQUESTS_PER_SECOND"
    REQUEST_DURATION_P95_MS = "REQUEST_DURATION_P95_MS"


class AlertOperator(StrEnum):
    UNSPECIFIED_OPERATOR = "UNSPECIFIED_OPERATOR"
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"


class AlertWindow(StrEnum):
    UNSPECIFIED_WINDOW = "UNSPECIFIED_WINDOW"
    FIVE_MINUTES = "FIVE_MINUTES"
    TEN_MINUTES = "TEN_MINUTES"
    THIRTY_MINUTES = "THIRTY_MINUTES"
    ONE_HOUR = "ONE_HOUR"


class Protocol(StrEnum):
    HTTP = "HTTP"
    HTTP2 = "HTTP2"


class DomainType(StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    DEFAULT = "DEFAULT"
    PRIMARY = "PRIMARY"
    ALIAS = "ALIAS"


class TLSVersion(StrEnum):
    TLS_1_2 = "1.2"
    TLS_1_3 = "1.3"


class EgressType(StrEnum):
    AUTOASSIGN = "AUTOASSIGN"
    DEDICATED_IP = "DEDICATED_IP"


class RegistryType(StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    DOCR = "DOCR"
    DOCKER_HUB = "DOCKER_HUB"
    GHCR = "GHCR"


class LoadBalancer(StrEnum):
    UNKNOWN = "UNKNOWN"
    DIGITALOCEAN = "DIGITALOCEAN"


class RedirectScheme(StrEnum):
    HTTP = "http"
    HTTPS = "https"


# Which alert rules belong where (godo comments: "only applicable at the app level", ...).
APP_ALERT_RULES = frozenset({
    AlertRule.UNSPECIFIED_RULE, AlertRule.DEPLOYMENT_FAILED, AlertRule.DEPLOYMENT_LIVE,
    AlertRule.DEPLOYMENT_STARTED, AlertRule.DEPLOYMENT_CANCELED, AlertRule.DOMAIN_FAILED,
    AlertRule.DOMAIN_LIVE, AlertRule.AUTOSCALE_FAILED, AlertRule.AUTOSCALE_SUCCEEDED,
})
_INSTANCE_RULES = {AlertRule.UNSPECIFIED_RULE, AlertRule.CPU_UTILIZATION,
                   AlertRule.MEM_UTILIZATION, AlertRule.RESTART_COUNT}
COMPONENT_ALERT_RULES: dict[str, frozenset[AlertRule]] = {
    ComponentKind.SERVICE: frozenset(_INSTANCE_RULES | {
        AlertRule.REQUESTS_PER_SECOND, AlertRule.REQUEST_DURATION_P95_MS}),
    ComponentKind.WORKER: frozenset(_INSTANCE_RULES),
    ComponentKind.JOB: frozenset(_INSTANCE_RULES | {AlertRule.JOB_INVOCATION_FAILED}),
    ComponentKind.FUNCTIONS: frozenset({AlertRule.UNSPECIFIED_RULE} | {
        r for r in AlertRule if r.startswith("FUNCTIONS_")}),
}
