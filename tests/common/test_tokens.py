"""Access tokens: issued at login, checked by edges."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from common.config import Settings
from common.tokens import Claims, TokenError, issue, verify
from tests.conftest import make_settings

# Long enough for HS512, so signing with it raises no key-length warning.
LONG_SECRET = "k" * 64


@pytest.fixture
def settings() -> Settings:
    return make_settings(secret_key=LONG_SECRET, access_token_expire_minutes=30)


def sign(settings: Settings, payload: dict[str, Any], algorithm: str = "HS256",
         key: str | None = None) -> str:
    return jwt.encode(payload, settings.secret_key if key is None else key, algorithm=algorithm)


def fresh_payload(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    payload: dict[str, Any] = {"sub": "7", "name": "alice", "iat": now, "exp": now + 600}
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def test_issued_token_verifies_to_the_user() -> None:
    settings = make_settings()
    now = time.time()

    claims = verify(settings, issue(settings, 7, "alice", now=now))

    assert claims == Claims(user_id=7, username="alice", expires_at=int(now) + 60 * 60)
    assert type(claims.user_id) is int


def test_subject_is_the_user_id_as_a_string(settings: Settings) -> None:
    token = issue(settings, 42, "bob")

    payload = jwt.decode(token, options={"verify_signature": False})

    assert payload["sub"] == "42"
    assert payload["name"] == "bob"
    assert payload["exp"] - payload["iat"] == 30 * 60


def test_token_uses_the_configured_algorithm() -> None:
    settings = make_settings(secret_key=LONG_SECRET, jwt_algorithm="HS512")

    token = issue(settings, 7, "alice")

    assert jwt.get_unverified_header(token)["alg"] == "HS512"
    assert verify(settings, token).user_id == 7


def test_expired_token_is_refused_as_expired(settings: Settings) -> None:
    token = issue(settings, 7, "alice", now=time.time() - 31 * 60)

    with pytest.raises(TokenError, match=r"^token expired$"):
        verify(settings, token)


def test_token_signed_with_another_key_is_refused(settings: Settings) -> None:
    token = sign(settings, fresh_payload(), key="x" * 64)

    with pytest.raises(TokenError):
        verify(settings, token)


def test_token_with_a_tampered_payload_is_refused(settings: Settings) -> None:
    header, _, signature = issue(settings, 7, "alice").split(".")
    forged = sign(settings, fresh_payload(sub="1"), key="x" * 64).split(".")[1]

    with pytest.raises(TokenError):
        verify(settings, f"{header}.{forged}.{signature}")


def test_unsigned_token_is_refused(settings: Settings) -> None:
    token = jwt.encode(fresh_payload(), None, algorithm="none")

    with pytest.raises(TokenError):
        verify(settings, token)


def test_token_signed_with_another_algorithm_is_refused(settings: Settings) -> None:
    token = sign(settings, fresh_payload(), algorithm="HS512")

    with pytest.raises(TokenError):
        verify(settings, token)


def test_token_without_expiry_is_refused(settings: Settings) -> None:
    token = sign(settings, fresh_payload(exp=None))

    with pytest.raises(TokenError):
        verify(settings, token)


def test_token_without_subject_is_refused(settings: Settings) -> None:
    token = sign(settings, fresh_payload(sub=None))

    with pytest.raises(TokenError):
        verify(settings, token)


@pytest.mark.parametrize("sub", ["alice", "", "-7", "7.0", " 7", "\u0661\u0662", 7, ["7"]])
def test_token_whose_subject_is_not_a_user_id_is_refused(settings: Settings, sub: Any) -> None:
    token = sign(settings, fresh_payload(sub=sub))

    with pytest.raises(TokenError):
        verify(settings, token)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "...."])
def test_garbage_is_refused(settings: Settings, token: str) -> None:
    with pytest.raises(TokenError):
        verify(settings, token)


def test_missing_name_gives_an_empty_username(settings: Settings) -> None:
    token = sign(settings, fresh_payload(name=None))

    assert verify(settings, token).username == ""


def test_refusal_messages_hold_no_part_of_the_token(settings: Settings) -> None:
    token = sign(settings, fresh_payload(), key="x" * 64)

    with pytest.raises(TokenError) as caught:
        verify(settings, token)

    assert str(caught.value) == "invalid token"
