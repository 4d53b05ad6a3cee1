"""DigitalOcean's instance sizes, the one table every stage reads: the catalogue the API
serves, the limits an instance runs with (cgroups locally, resources on Kubernetes).

The legacy ``basic-*``/``professional-*`` slugs are still accepted in specs (``basic-xxs`` is
the most common slug in real specs). Bandwidth allowances are DigitalOcean's (GiB of outbound
transfer a month per container, from its pricing page). Tier paths: the legacy sizes keep the
``tier_upgrade_to``/``tier_downgrade_to`` slugs DigitalOcean's API gives them; a current size
upgrades to the smallest ``professional`` size with at least its memory and downgrades to
the largest ``basic`` size with at most its memory (``tier_path``).
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024 ** 3
DEFAULT_SLUG = "apps-s-1vcpu-0.5gb"
LEGACY_PREFIXES = ("basic-", "professional-")


@dataclass(frozen=True)
class InstanceSize:
    slug: str
    name: str
    cpu_type: str                # SHARED or DEDICATED
    cpus: int
    memory_gib: float
    tier: str
    bandwidth_gib: int = 0       # outbound transfer allowance a month
    upgrade_to: str = ""
    downgrade_to: str = ""
    single_instance_only: bool = False

    @property
    def memory_bytes(self) -> int:
        return int(self.memory_gib * GIB)

    @property
    def deprecated(self) -> bool:
        return self.slug.startswith(LEGACY_PREFIXES)


SIZES: tuple[InstanceSize, ...] = (
    InstanceSize("apps-s-1vcpu-0.5gb", "Shared 1VCPU 0.5GB", "SHARED", 1, 0.5, "basic", 50,
          single_instance_only=True),
    InstanceSize("apps-s-1vcpu-1gb-fixed", "Shared 1VCPU 1GB Fixed", "SHARED", 1, 1, "basic", 100,
          single_instance_only=True),
    InstanceSize("apps-s-1vcpu-1gb", "Shared 1VCPU 1GB", "SHARED", 1, 1, "professional", 150),
    InstanceSize("apps-s-1vcpu-2gb", "Shared 1VCPU 2GB", "SHARED", 1, 2, "professional", 200),
    InstanceSize("apps-s-2vcpu-4gb", "Shared 2VCPU 4GB", "SHARED", 2, 4, "professional", 250),
    InstanceSize("apps-d-1vcpu-0.5gb", "Dedicated 1VCPU 0.5GB", "DEDICATED", 1, 0.5, "professional",
          100),
    InstanceSize("apps-d-1vcpu-1gb", "Dedicated 1VCPU 1GB", "DEDICATED", 1, 1, "professional", 200),
    InstanceSize("apps-d-1vcpu-2gb", "Dedicated 1VCPU 2GB", "DEDICATED", 1, 2, "professional", 300),
    InstanceSize("apps-d-1vcpu-4gb", "Dedicated 1VCPU 4GB", "DEDICATED", 1, 4, "professional", 400),
    InstanceSize("apps-d-2vcpu-4gb", "Dedicated 2VCPU 4GB", "DEDICATED", 2, 4, "professional", 500),
    InstanceSize("apps-d-2vcpu-8gb", "Dedicated 2VCPU 8GB", "DEDICATED", 2, 8, "professional", 600),
    InstanceSize("apps-d-4vcpu-8gb", "Dedicated 4VCPU 8GB", "DEDICATED", 4, 8, "professional", 700),
    InstanceSize("apps-d-4vcpu-16gb", "Dedicated 4VCPU 16GB", "DEDICATED", 4, 16, "professional",
          800),
    InstanceSize("apps-d-8vcpu-32gb", "Dedicated 8VCPU 32GB", "DEDICATED", 8, 32, "professional",
          900),
    InstanceSize("basic-xxs", "Basic XXS", "SHARED", 1, 0.5, "basic", 40,
          upgrade_to="professional-xs", single_instance_only=True),
    InstanceSize("basic-xs", "Basic XS", "SHARED", 1, 1, "basic", 40,
          upgrade_to="professional-xs", single_instance_only=True),
    InstanceSize("basic-s", "Basic S", "SHARED", 1, 2, "basic", 40,
          upgrade_to="professional-s", single_instance_only=True),
    InstanceSize("basic-m", "Basic M", "SHARED", 2, 4, "basic", 40,
          upgrade_to="professional-m", single_instance_only=True),
    InstanceSize("professional-xs", "Professional XS", "SHARED", 1, 1, "professional", 100,
          downgrade_to="basic-xs"),
    InstanceSize("professional-s", "Professional S", "SHARED", 1, 2, "professional", 100,
          downgrade_to="basic-s"),
    InstanceSize("professional-m", "Professional M", "SHARED", 2, 4, "professional", 100,
          downgrade_to="basic-s"),
    InstanceSize("professional-1l", "Professional 1L", "DEDICATED", 1, 4, "professional", 100,
          downgrade_to="basic-m"),
    InstanceSize("professional-l", "Professional L", "DEDICATED", 2, 8, "professional", 100,
          downgrade_to="basic-s"),
    InstanceSize("professional-xl", "Professional XL", "DEDICATED", 4, 16, "professional", 100,
          downgrade_to="basic-s"),
)
BY_SLUG = {s.slug: s for s in SIZES}


def instance_size(slug: str | None) -> InstanceSize:
    """The size a component runs with (DigitalOcean's default when the spec names none)."""
    return BY_SLUG[slug or DEFAULT_SLUG]


def tier_path(size: InstanceSize) -> tuple[str, str]:
    """``(downgrade_to, upgrade_to)``: the slugs a size moves to when its app changes tier.

    A legacy size keeps DigitalOcean's recorded slugs. A current ``basic`` size upgrades to
    the smallest shared ``professional`` size with at least its memory; a current
    ``professional`` size downgrades to the largest ``basic`` size with at most its memory.
    """
    if size.deprecated:
        return size.downgrade_to, size.upgrade_to
    current = [s for s in SIZES if not s.deprecated and s is not size]
    if size.tier == "basic":
        up = [s for s in current if s.tier == "professional" and s.cpu_type == "SHARED"
              and s.memory_gib >= size.memory_gib]
        return "", min(up, key=lambda s: s.memory_gib).slug if up else ""
    down = [s for s in current if s.tier == "basic" and s.memory_gib <= size.memory_gib]
    return (max(down, key=lambda s: s.memory_gib).slug if down else ""), ""
