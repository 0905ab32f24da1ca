"""Redacting secrets from every log line."""

from __future__ import annotations

import logging

import pytest

from common.logs import RedactingFormatter, redact

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiI3IiwibmFtZSI6ImFsaWNlIiwiZXhwIjoxNzAwMDAwMDAwfQ"
    ".c2lnbmF0dXJlLW5vdC1yZWFs_x-9Qk3"
)


def test_token_in_a_query_string_is_redacted() -> None:
    line = 'GET /ws/lobby?token=abc.def-ghi&x=1 HTTP/1.1" 101'

    assert redact(line) == 'GET /ws/lobby?token=<redacted>&x=1 HTTP/1.1" 101'


def test_access_token_in_a_query_string_is_redacted() -> None:
    assert redact("/ws/lobby?access_token=s3cret") == "/ws/lobby?access_token=<redacted>"


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer ", "Bearer   "])
def test_bearer_credential_is_redacted(prefix: str) -> None:
    assert redact(f"Authorization: {prefix}xyz") == f"Authorization: {prefix}<redacted>"


def test_bare_jwt_is_redacted() -> None:
    assert redact(f"could not check {JWT} for room lobby") == (
        "could not check <redacted> for room lobby"
    )


def test_no_part_of_a_jwt_survives_in_a_query_or_header() -> None:
    text = redact(f"/ws/r?token={JWT} Authorization: Bearer {JWT}")

    assert "eyJ" not in text
    assert JWT.split(".")[2] not in text


@pytest.mark.parametrize(
    "line",
    [
        "player 7 joined room lobby on edge-1",
        "tokens are checked by every edge",
        "entry 1700000000000-3 applied in 2.5 ms",
        'sent {"type":"state","players":[]} to 3 sockets',
        "",
    ],
)
def test_ordinary_text_is_left_alone(line: str) -> None:
    assert redact(line) == line


def test_formatter_redacts_arguments_as_well_as_the_message() -> None:
    record = logging.LogRecord(
        "edge", logging.INFO, __file__, 1, "socket refused for %s", (f"token={JWT}",), None
    )

    line = RedactingFormatter("%(message)s").format(record)

    assert line == "socket refused for token=<redacted>"


def test_json_log_lines_are_one_object_each_and_redacted() -> None:
    import json
    import logging

    from common.logs import JsonFormatter

    record = logging.LogRecord("edge.session", logging.INFO, __file__, 1,
                               "room %s got /ws/x?token=%s", ("lobby", "abc.def.ghi"), None)
    row = json.loads(JsonFormatter("edge").format(record))
    assert row["level"] == "INFO" and row["process"] == "edge"
    assert row["logger"] == "edge.session"
    assert row["message"] == "room lobby got /ws/x?token=<redacted>"
    assert row["time"].endswith("Z")
