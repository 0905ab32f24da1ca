"""Request and response bodies of the auth API, with the input rules they enforce."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auth.models import USERNAME_MAX
from auth.passwords import BCRYPT_MAX_BYTES

USERNAME_MIN = 3
PASSWORD_MIN = 8
# Letters and digits of any script, plus `_`, `.` and `-`.
USERNAME_RE = re.compile(r"^[\w.-]+$")


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(examples=["alice"])
    password: str = Field(examples=["correct horse battery"])

    @field_validator("username")
    @classmethod
    def _username_rule(cls, value: str) -> str:
        name = unicodedata.normalize("NFC", value.strip())
        if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
            raise ValueError(
                f"must be {USERNAME_MIN} to {USERNAME_MAX} characters after trimming spaces"
            )
        if not USERNAME_RE.fullmatch(name):
            raise ValueError("may contain only letters, digits, '_', '.' and '-'")
        return name

    @field_validator("password")
    @classmethod
    def _password_rule(cls, value: str) -> str:
        if len(value) < PASSWORD_MIN:
            raise ValueError(f"must be at least {PASSWORD_MIN} characters")
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if len(value.encode()) > BCRYPT_MAX_BYTES:
            raise ValueError(f"must be at most {BCRYPT_MAX_BYTES} bytes in UTF-8")
        return value


class UserOut(BaseModel):
    id: int
    username: str
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the token expires")


class ErrorOut(BaseModel):
    detail: str
