"""The App Spec: DigitalOcean's app.yaml as pydantic models, loaded, validated and re-emitted.

Exports load lazily (PEP 562): ``dockyard.appspec.enums`` and the like stay light for the API
server; the models (pydantic, ruamel.yaml) load on first use.
"""

from __future__ import annotations

from dockyard.lazy import exports

_EXPORTS: dict[str, str] = {
    "APP_WIDE": "bindables",
    "Alert": "blocks",
    "AlertOperator": "enums",
    "AlertRule": "enums",
    "AlertWindow": "enums",
    "AppSpec": "models",
    "Component": "models",
    "ComponentKind": "enums",
    "Cors": "blocks",
    "DatabaseEngine": "enums",
    "DatabaseSpec": "models",
    "DomainSpec": "models",
    "DomainType": "enums",
    "EgressType": "enums",
    "EnvScope": "enums",
    "EnvType": "enums",
    "EnvVar": "blocks",
    "FunctionsSpec": "models",
    "HealthCheck": "blocks",
    "INSTANCE_SIZES": "enums",
    "ImageSource": "blocks",
    "IngressRule": "models",
    "IngressSpec": "models",
    "JobKind": "enums",
    "JobSpec": "models",
    "LivenessHealthCheck": "blocks",
    "LogDestination": "blocks",
    "PROVIDES": "bindables",
    "Protocol": "enums",
    "Region": "enums",
    "RegistryType": "enums",
    "Route": "blocks",
    "ServiceSpec": "models",
    "SpecDocument": "document",
    "SpecError": "errors",
    "SpecIssue": "errors",
    "StaticSiteSpec": "models",
    "Termination": "blocks",
    "WorkerSpec": "models",
    "bindable_refs": "bindables",
    "env_visible": "envs",
    "is_encrypted_secret": "envs",
    "load_spec": "load",
    "load_spec_file": "load",
    "merged_envs": "envs",
    "parse_spec_data": "load",
    "with_env_values": "load",
    "with_image_credentials": "load",
}

__all__ = sorted(_EXPORTS)


__getattr__ = exports(__name__, _EXPORTS)
