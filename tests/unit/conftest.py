"""Helpers for the unit tests."""

from __future__ import annotations

import pytest

from ansible_collections.sso.onelogin.plugins.plugin_utils import _options


@pytest.fixture
def clean_env(monkeypatch):
    """No ONELOGIN_* variable of the developer's shell leaks into a test."""
    import os
    for name in list(os.environ):
        if name.startswith('ONELOGIN_'):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def settings_for(clean_env):
    """Build validated Settings for an emulator (or any values) through the real options model."""
    def build(emulator=None, **values):
        direct = {}
        if emulator is not None:
            direct.update(api_url=emulator.url, client_id=emulator.client_id, client_secret=emulator.client_secret)
        direct.update(values)
        return _options.resolve(direct, door=_options.LOOKUP)
    return build
