"""Fixtures for the tests of the doors (action plugins and lookup).

A door test module uses ``door_clock`` for all its tests (``pytestmark``), so that none of them waits for real time.
"""

from __future__ import annotations

import time
from unittest.mock import MagicMock

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.sso.onelogin.plugins.action.onelogin_token import ActionModule
from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache, _token_source
from ansible_collections.sso.onelogin.tests.unit.clock import FakeClock
from ansible_collections.sso.onelogin.tests.unit.plugins.plugin_utils.option_cases import REFUSALS, env_name


@pytest.fixture
def run_cache(tmp_path, monkeypatch):
    """A fresh run cache folder per test, as a new ansible-playbook run would have."""
    directory = tmp_path / 'run-cache'
    monkeypatch.setattr(_cache, 'run_directory', lambda: str(directory))
    return directory


@pytest.fixture
def door_clock(monkeypatch):
    """The doors' clock and wait (``_token_source.CLOCK`` and ``SLEEP``) replaced by the fake clock of the tests.

    Used by the door tests and by test_token_source.py, for every call that passes no clock of its own.

    It starts at the real time, so that it agrees with the timestamps of the emulator, and moves only when slept
    on: no door test waits for real time. With a healthy emulator a door has no reason to wait at all, so a test
    that waited fails when it ends: a cache that hands out nothing, or an expiry computed wrong, would otherwise
    sleep toward the 10-hour expiry of a token.
    """
    clock = FakeClock(start=time.time())
    monkeypatch.setattr(_token_source, 'CLOCK', clock)
    monkeypatch.setattr(_token_source, 'SLEEP', clock.sleep)
    yield clock
    assert not clock.sleeps, 'a door waited %r s, with no reason to wait' % (clock.sleeps[:10],)


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


# Bad input through either door. What the settings validation refuses is all in REFUSALS (option_cases), each row
# checked there through the options model for both doors' messages (option, environment variable, module_defaults or
# lookup keyword and variable, never the secret). A door resolves the options before it does anything else, so it
# only has to show that it surfaces each kind of refusal, failing before any request: one row of REFUSALS per kind.
DOOR_SAMPLE = {
    'a credential not given': 'client-id-missing',
    'an empty value (counts as not given)': 'client-secret-empty',
    'a malformed secret (never echoed)': 'client-secret-crlf',
    'a value of the wrong type (conversion)': 'timeout-word',
    'a value outside its choices': 'region',
    'a number out of bounds': 'min-ttl-lifetime',
    'an unsafe api_url': 'http-remote',
}
# Refused only when the token source uses the cache folder, not by the settings validation: the doors must still fail
# before any request. Its other variants (modes, a file) are in test_settings. '{tmp}' is a folder of the test.
REFUSED_AT_USE = [
    ('cache-dir-world-writable', {'cache': 'persistent', 'cache_dir': '{tmp}/open'}, ('cache_dir',),
     'writable by group or others'),
]
BAD_INPUTS = [{row[0]: row for row in REFUSALS}[case] for case in DOOR_SAMPLE.values()] + REFUSED_AT_USE


@pytest.fixture(params=[row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS])
def bad_input(request, creds, tmp_path):
    """``(options, named, texts)``: valid credentials for the test's emulator spoiled by one bad option; the options
    the message must name (with their environment variables), and all the texts it must hold."""
    change, named, says = request.param
    (tmp_path / 'open').mkdir()
    (tmp_path / 'open').chmod(0o777)
    options = dict(creds)
    for name, value in change.items():
        if value is None:
            options.pop(name, None)
        else:
            options[name] = value.replace('{tmp}', str(tmp_path)) if isinstance(value, str) else value
    texts = tuple(named) + tuple(env_name(option) for option in named) + ((says,) if isinstance(says, str) else says)
    return options, named, texts


@pytest.fixture
def nothing_sent(emulator, monkeypatch):
    """``nothing_sent()``: whether the emulator has seen no token, revoke or rate limit request so far, and the
    collection has sent no request anywhere else either (say to a bad api_url, which the emulator cannot see)."""
    # The ways out, both to _transport.send: the token endpoints' call() and the resource API's engine.
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _api, _calls
    sent = []

    def send(settings, method, url, *args):
        sent.append((method, url))
        return real_send(settings, method, url, *args)

    real_send = _calls.send
    monkeypatch.setattr(_calls, 'send', send)
    monkeypatch.setattr(_api, 'send', send)

    def check():
        stats = emulator.stats()
        return (stats['exchanges'], stats['revokes'], stats['rate_limit_calls'], sent) == (0, 0, 0, [])
    return check
