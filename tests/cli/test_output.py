"""doctl's output habits, without a server: ``--format`` columns, values, computed columns."""

from __future__ import annotations

import pytest

from dockyard.cli.alerts import trigger
from dockyard.cli.catalog import human_bytes, tier_path
from dockyard.cli.output import APP_COLUMNS, chosen_columns, emit, text
from dockyard.errors import DockyardError


def test_format_picks_doctl_columns_in_any_case():
    assert chosen_columns("id, spec.name", APP_COLUMNS) == ["ID", "Spec.Name"]
    assert chosen_columns(None, APP_COLUMNS) == APP_COLUMNS


def test_an_unknown_column_is_an_error_listing_the_known_ones():
    with pytest.raises(DockyardError) as err:
        chosen_columns("ID,Colour,Size", APP_COLUMNS)
    assert "'Colour', 'Size'" in err.value.message
    assert "known columns: ID, Spec.Name, DefaultIngress" in err.value.message


def test_an_unknown_column_fails_before_anything_is_printed(capsys):
    with pytest.raises(DockyardError):
        emit([{"id": "x"}], ["ID"], output="text", fmt="Nope")
    assert capsys.readouterr().out == ""


def test_values_print_as_doctl_prints_them():
    assert (text(True), text(False), text(["nyc1", "nyc3"]), text(3)) == \
        ("true", "false", "[nyc1 nyc3]", "3")
    assert human_bytes("536870912") == "512.00 MiB" and human_bytes(34359738368) == "32.00 GiB"


def test_computed_columns():
    assert tier_path({"slug": "basic-xs", "tier_upgrade_to": "professional-xs"}) == \
        "basic-xs -> professional-xs"
    assert tier_path({"slug": "professional-xs", "tier_downgrade_to": "basic-xs"}) == \
        "basic-xs <- professional-xs"
    assert trigger({"rule": "CPU_UTILIZATION", "operator": "GREATER_THAN", "value": 80,
                    "window": "THIRTY_MINUTES"}) == "> 80.00 for 30M"
    assert trigger({"rule": "DEPLOYMENT_LIVE"}) == "Event"
    assert trigger({"rule": "DEPLOYMENT_STARTED"}) == "Unknown"
