"""Fixtures for the tests of the doors (action plugin and lookup)."""

from __future__ import annotations

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache


@pytest.fixture
def run_cache(tmp_path, monkeypatch):
    """A fresh run cache folder per test, as a new ansible-playbook run would have."""
    directory = tmp_path / 'run-cache'
    monkeypatch.setattr(_cache, 'run_directory', lambda: str(directory))
    return directory
