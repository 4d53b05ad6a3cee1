"""``dockyard up`` refuses a home too deep for its unix sockets, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.control import up
from dockyard.errors import DockyardError
from dockyard.paths import Home


def test_a_home_too_deep_for_its_sockets_is_refused_and_nothing_is_made(tmp_path: Path):
    deep = tmp_path / ("d" * (90 - len(str(tmp_path))))  # 90 characters
    log_socket = deep / "router" / "requests.sock"  # HAProxy's log target: at most 97
    with pytest.raises(DockyardError) as err:
        up(Home(deep))
    assert err.value.code == "settings.home_too_long"
    assert (f"{log_socket} would be {len(str(log_socket))} characters long, and this one "
            "takes at most 97") in err.value.message
    assert str(deep) in err.value.message
    assert err.value.hint is not None and "shorter" in err.value.hint
    assert not deep.exists()  # refused before the home was made


def test_a_home_within_the_limit_passes_the_check(tmp_path: Path):
    from dockyard.control import check_socket_paths

    check_socket_paths(Home(Path("/var/lib/dockyard")))
    check_socket_paths(Home(tmp_path / "home"))  # pytest's own temp dirs must fit
