"""Redis commands are traced only while telemetry is on (telemetry)."""

from __future__ import annotations

import telemetry


def test_redis_commands_are_untraced_again_once_telemetry_is_undone() -> None:
    import redis

    untraced = redis.Redis.execute_command
    telemetry._trace_redis_commands()
    try:
        assert redis.Redis.execute_command is not untraced
        telemetry._trace_redis_commands()  # twice is once: no span inside a span
        assert redis.Redis.execute_command.untraced is untraced  # type: ignore[attr-defined]
    finally:
        telemetry.uninstrument()
    assert redis.Redis.execute_command is untraced


def test_a_unix_socket_connection_is_named_by_its_path() -> None:
    # As the Redis instrumentation records it: the socket's path as the peer, no port.
    assert telemetry._redis_connection_attributes({"path": "/run/redis.sock", "db": None}) == {
        "db.system": "redis",
        "db.redis.database_index": 0,
        "net.peer.name": "/run/redis.sock",
        "net.transport": "other",
    }
