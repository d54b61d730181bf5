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
    """Run the onelogin_token action plugin as the TaskExecutor does: ``run_action(task)`` or ``run_action(args)``."""
    def run(task_or_args, check_mode=False):
        task = task_or_args if isinstance(task_or_args, Task) else make_task(task_or_args, check_mode)
        loader = DataLoader()
        action = ActionModule(task=task, connection=MagicMock(), play_context=PlayContext(), loader=loader,
                              templar=Templar(loader=loader), shared_loader_obj=None)
        return action.run(task_vars={})
    run.make_task = make_task
    return run
