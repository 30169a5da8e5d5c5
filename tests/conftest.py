"""Fixtures shared by every tier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from hotline.auth import service


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Argon2 with the least work, for tests that sign in many times (the throttle and the
    sessions do not depend on the cost, and hashes carry their parameters)."""
    monkeypatch.setattr(service, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    service._dummy_hash.cache_clear()
    yield
    service._dummy_hash.cache_clear()
