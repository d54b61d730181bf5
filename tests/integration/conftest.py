"""Fixtures of the integration tests: real ansible-playbook runs of tests/integration/playbooks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'playbooks')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')


def write_inventory(path, hosts):
    names = '\n'.join('host%02d' % number for number in range(1, hosts + 1))
    path.write_text(
        '[all]\n%s\n\n[all:vars]\nansible_connection=local\n'
        'ansible_python_interpreter="{{ ansible_playbook_python }}"\n' % names)
    return str(path)


def _run_playbook(tmp_path, playbook, env, hosts=1, args=(), wait=True):
    """Run a playbook from tests/integration/playbooks; return the CompletedProcess (or the Popen, wait=False)."""
    config = tmp_path / 'ansible.cfg'
    config.write_text('[defaults]\nretry_files_enabled = false\n')
    inventory = write_inventory(tmp_path / 'inventory.ini', hosts)
    env = dict(env, ANSIBLE_CONFIG=str(config), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_COLLECTIONS_PATH=os.environ['ANSIBLE_COLLECTIONS_PATH'])
    command = [ANSIBLE_PLAYBOOK, '-i', inventory, os.path.join(PLAYBOOKS, playbook)] + list(args)
    if not wait:
        return subprocess.Popen(command, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run(command, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.fixture
def run_playbook():
    """``run_playbook(tmp_path, playbook, env, hosts=1, args=(), wait=True)``."""
    return _run_playbook


@pytest.fixture
def without_onelogin_env():
    """The test process's environment without any ONELOGIN_* variable."""
    return {name: value for name, value in os.environ.items() if not name.startswith('ONELOGIN_')}
