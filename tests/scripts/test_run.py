"""`make run`'s launcher: the bundled Redis fallback and the refusal to fall back silently."""

from __future__ import annotations

from types import ModuleType

import pytest
import redis

from tests.conftest import make_settings
from tests.scripts import load_script
from tests.system.harness import free_port


def _launcher() -> ModuleType:
    return load_script("run")


def test_the_bundled_redis_starts_and_serves_streams() -> None:
    launcher = _launcher()
    port = free_port()
    server = launcher.start_bundled_redis(port)
    try:
        client = redis.Redis(port=port, decode_responses=True)
        entry_id = client.xadd("room:{t}:events", {"type": "ping"})
        client.xgroup_create("room:{t}:events", "g", "0")
        assert client.xautoclaim("room:{t}:events", "g", "c", 0)[0] == "0-0"
        assert client.xrange("room:{t}:events")[0][0] == entry_id
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_explicit_redis_url_that_nothing_answers_is_an_error() -> None:
    launcher = _launcher()
    settings = make_settings(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(SystemExit, match="nothing answers there"):
        launcher.check_redis(settings)


def test_an_explicit_database_url_that_nothing_answers_is_an_error() -> None:
    launcher = _launcher()
    url = f"mysql+asyncmy://root@127.0.0.1:{free_port()}/game"
    with pytest.raises(SystemExit, match="nothing answers there"):
        launcher.check_database(make_settings(database_url=url))
