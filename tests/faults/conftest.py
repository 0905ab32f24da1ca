"""Fault tests start systems of their own (see tests/system/conftest.py: make_system)."""

from tests.system.conftest import FAULT_REDIS_URL, SystemFactory, make_system

__all__ = ["FAULT_REDIS_URL", "SystemFactory", "make_system"]
