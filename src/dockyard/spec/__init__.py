"""The App Spec: DigitalOcean's app.yaml as pydantic models, loaded, validated and re-emitted.

Import cost stays small (pydantic and ruamel.yaml only): every stage and the CLI import this.
"""

from .bindables import APP_WIDE, PROVIDES, bindable_refs
from .blocks import (
    Alert,
    Cors,
    EnvVar,
    HealthCheck,
    ImageSource,
    LivenessHealthCheck,
    LogDestination,
    Route,
    Termination,
)
from .document import SpecDocument
from .enums import (
    INSTANCE_SIZES,
    AlertOperator,
    AlertRule,
    AlertWindow,
    ComponentKind,
    DatabaseEngine,
    DomainType,
    EgressType,
    EnvScope,
    EnvType,
    JobKind,
    Protocol,
    Region,
    RegistryType,
)
from .envs import env_visible, is_encrypted_secret, merged_envs
from .errors import SpecError, SpecIssue
from .load import load_spec, load_spec_file, parse_spec_data
from .models import (
    AppSpec,
    Component,
    DatabaseSpec,
    DomainSpec,
    FunctionsSpec,
    IngressRule,
    IngressSpec,
    JobSpec,
    ServiceSpec,
    StaticSiteSpec,
    WorkerSpec,
)

__all__ = [
    "APP_WIDE", "INSTANCE_SIZES", "PROVIDES",
    "Alert", "AlertOperator", "AlertRule", "AlertWindow", "AppSpec", "Component",
    "ComponentKind", "Cors", "DatabaseEngine", "DatabaseSpec", "DomainSpec", "DomainType",
    "EgressType", "EnvScope", "EnvType", "EnvVar", "FunctionsSpec", "HealthCheck",
    "ImageSource", "IngressRule", "IngressSpec", "JobKind", "JobSpec", "LivenessHealthCheck",
    "LogDestination", "Protocol", "Region", "RegistryType", "Route", "ServiceSpec",
    "SpecDocument", "SpecError", "SpecIssue", "StaticSiteSpec", "Termination", "WorkerSpec",
    "bindable_refs", "env_visible", "is_encrypted_secret", "load_spec", "load_spec_file",
    "merged_envs", "parse_spec_data",
]
