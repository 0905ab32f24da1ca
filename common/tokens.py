"""Access tokens: issued by auth at login, checked by edges without touching the database.

HS256 (or the configured HMAC algorithm) over the claims `sub` (the user id as a string),
`name`, `iat` and `exp`. Decoding pins the algorithm and requires `exp` and `sub`, so an
unsigned token, one signed with another algorithm, or one without an expiry is refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from common.config import Settings


class TokenError(Exception):
    """A token that must not be accepted; the message is safe to show the client."""


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: int
    username: str
    expires_at: int


def issue(settings: Settings, user_id: int, username: str, now: float | None = None) -> str:
    issued_at = int(time.time() if now is None else now)
    payload = {
        "sub": str(user_id),
        "name": username,
        "iat": issued_at,
        "exp": issued_at + settings.access_token_expire_minutes * 60,
    }
    return jwt.encode(payload, settings.secret_key, algorithm=settings.jwt_algorithm)


def verify(settings: Settings, token: str) -> Claims:
    """Check signature, algorithm and expiry; raise TokenError with a short reason."""
    try:
        payload = jwt.decode(
            token, settings.secret_key, algorithms=[settings.jwt_algorithm],
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("token expired") from None
    except jwt.InvalidTokenError:
        raise TokenError("invalid token") from None

    sub = payload["sub"]
    # At most 15 digits: a user id, never a number that overflows anything downstream.
    if not isinstance(sub, str) or not (sub.isascii() and sub.isdigit() and len(sub) <= 15):
        raise TokenError("invalid token subject")
    if int(sub) < 1:
        raise TokenError("invalid token subject")
    name = payload.get("name")
    return Claims(int(sub), name if isinstance(name, str) else "", int(payload["exp"]))
