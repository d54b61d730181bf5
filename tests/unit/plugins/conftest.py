"""Fixtures for the tests of the doors (action plugin and lookup)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.sso.onelogin.plugins.action.onelogin_token import ActionModule
from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache


@pytest.fixture
def run_cache(tmp_path, monkeypatch):
    """A fresh run cache folder per test, as a new ansible-playbook run would have."""
    directory = tmp_path / 'run-cache'
    monkeypatch.setattr(_cache, 'run_directory', lambda: str(directory))
    return directory


@pytest.fixture
def creds(emulator, clean_env, run_cache):
    """Options that point at the test's emulator, with nothing from the developer's environment."""
    return {'api_url': emulator.url, 'client_id': emulator.client_id, 'client_secret': emulator.client_secret}


def make_task(args, check_mode=False):
    task = Task()
    task.args = dict(args)
    task.check_mode = check_mode
    return task


@pytest.fixture
def run_action():
    """Run an action plugin as the TaskExecutor does: ``run_action(task)`` or ``run_action(args)``.

    The onelogin_token action by default; ``plugin=`` another ActionModule class.
    """
    def run(task_or_args, check_mode=False, plugin=ActionModule):
        task = task_or_args if isinstance(task_or_args, Task) else make_task(task_or_args, check_mode)
        loader = DataLoader()
        action = plugin(task=task, connection=MagicMock(), play_context=PlayContext(), loader=loader,
                        templar=Templar(loader=loader), shared_loader_obj=None)
        action._load_name = plugin.MODULE  # as ansible-core's plugin loader sets it
        return action.run(task_vars={})
    run.make_task = make_task
    return run


# Bad input through either door: (id, options given on top of valid credentials, texts the message must hold).
# Each must fail before any request reaches OneLogin. A value ``'{tmp}'`` is replaced by a folder of the test.
BAD_INPUTS = [
    ('client-id-missing', {'client_id': None}, ('client_id', 'ONELOGIN_CLIENT_ID')),
    ('client-id-empty', {'client_id': ''}, ('client_id', 'ONELOGIN_CLIENT_ID', 'empty')),
    ('client-secret-missing', {'client_secret': None}, ('client secret', 'ONELOGIN_CLIENT_SECRET')),
    ('client-secret-empty', {'client_secret': ''}, ('client secret', 'ONELOGIN_CLIENT_SECRET', 'empty')),
    ('region-unknown', {'api_url': None, 'region': 'ap'}, ('region', 'ONELOGIN_REGION')),
    ('token-api-unknown', {'token_api': 'v3'}, ('token_api', 'ONELOGIN_TOKEN_API')),
    ('api-url-relative', {'api_url': 'acme.onelogin.com/api'}, ('api_url', 'ONELOGIN_API_URL', 'absolute')),
    ('api-url-http-remote', {'api_url': 'http://192.0.2.10:8080'}, ('api_url', 'ONELOGIN_API_URL', 'clear text')),
    ('client-id-lf', {'client_id': 'id\nInjected: 1'}, ('client_id', 'ONELOGIN_CLIENT_ID', 'control character')),
    ('client-secret-cr', {'client_secret': 'secret-0123456789\r'}, ('client_secret', 'ONELOGIN_CLIENT_SECRET',
                                                                    'control character')),
    ('min-ttl-negative', {'min_ttl': -1}, ('min_ttl', 'ONELOGIN_MIN_TTL')),
    ('min-ttl-lifetime', {'min_ttl': 36000}, ('min_ttl', 'ONELOGIN_MIN_TTL', 'token lifetime')),
    ('timeout-zero', {'timeout': 0}, ('timeout', 'ONELOGIN_TIMEOUT')),
    ('timeout-negative', {'timeout': -3}, ('timeout', 'ONELOGIN_TIMEOUT')),
    ('retry-timeout-negative', {'retry_timeout': -1}, ('retry_timeout', 'ONELOGIN_RETRY_TIMEOUT')),
    ('cache-unknown', {'cache': 'disk'}, ('cache', 'ONELOGIN_CACHE')),
    ('cache-dir-world-writable', {'cache': 'persistent', 'cache_dir': '{tmp}/open'},
     ('cache_dir', 'ONELOGIN_CACHE_DIR', 'writable by group or others')),
    ('cache-dir-a-file', {'cache': 'persistent', 'cache_dir': '{tmp}/a-file'},
     ('cache_dir', 'ONELOGIN_CACHE_DIR', 'not a folder')),
]


@pytest.fixture(params=[row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS])
def bad_input(request, creds, tmp_path):
    """``(options, texts)``: valid credentials for the test's emulator spoiled by one bad option."""
    change, texts = request.param
    (tmp_path / 'open').mkdir()
    (tmp_path / 'open').chmod(0o777)
    (tmp_path / 'a-file').write_text('')
    options = dict(creds)
    for name, value in change.items():
        if value is None:
            options.pop(name, None)
        else:
            options[name] = value.replace('{tmp}', str(tmp_path)) if isinstance(value, str) else value
    return options, texts


@pytest.fixture
def nothing_sent(emulator):
    """``nothing_sent()``: whether the emulator has seen no token, revoke or rate limit request so far."""
    def check():
        stats = emulator.stats()
        return (stats['exchanges'], stats['revokes'], stats['rate_limit_calls']) == (0, 0, 0)
    return check
