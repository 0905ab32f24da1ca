"""The users table."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

USERNAME_MAX = 32
# Case folding can lengthen a name (ß -> ss): room for three characters per character.
USERNAME_KEY_MAX = 3 * USERNAME_MAX


def username_key(username: str) -> str:
    """The form under which names are compared: NFC, then Unicode case folding.

    Uniqueness is enforced on this key, compared byte for byte, rather than through a
    collation: MySQL's Unicode collations weigh all characters beyond the Basic Multilingual
    Plane alike, and SQLite folds only ASCII, so each would merge or split names differently.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", username).casefold())


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_520_ci"},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The name as the player typed it (trimmed, NFC), shown to other players.
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), nullable=False)
    username_key: Mapped[str] = mapped_column(
        String(USERNAME_KEY_MAX).with_variant(
            String(USERNAME_KEY_MAX, collation="utf8mb4_bin"), "mysql", "mariadb"
        ),
        unique=True,
        nullable=False,
    )
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    # Naive UTC: MySQL DATETIME has no zone, and the API adds the Z when it answers.
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
