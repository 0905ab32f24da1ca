"""The users table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

USERNAME_MAX = 32


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    # utf8mb4 holds every Unicode character; the _ci collation makes the unique index treat
    # names differing only in case as one name.
    __table_args__ = (
        {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    # Naive UTC: MySQL DATETIME has no zone, and the API adds the Z when it answers.
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
