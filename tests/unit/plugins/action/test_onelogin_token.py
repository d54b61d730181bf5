"""The action plugin of sso.onelogin.onelogin_token, driven as the TaskExecutor drives it."""

from __future__ import annotations

import stat
from unittest.mock import MagicMock

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.sso.onelogin.plugins.action.onelogin_token import ActionModule

FACT_KEYS = {'access_token', 'token_type', 'expires_in', 'expires_at', 'created_at', 'account_id', 'api_url'}


def make_task(args, check_mode=False):
    task = Task()
    task.args = dict(args)
    task.check_mode = check_mode
    return task


def run_action(task):
    loader = DataLoader()
    action = ActionModule(task=task, connection=MagicMock(), play_context=PlayContext(), loader=loader,
                          templar=Templar(loader=loader), shared_loader_obj=None)
    return action.run(task_vars={})


@pytest.fixture
def creds(emulator, clean_env, run_cache):
    return {'api_url': emulator.url, 'client_id': emulator.client_id, 'client_secret': emulator.client_secret}


def test_mints_then_reuses_and_censors_its_output(emulator, creds, run_cache):
    first = run_action(make_task(creds))
    assert not first.get('failed'), first.get('msg')
    assert first['changed'] is True
    assert first['_ansible_no_log'] is True
    fact = first['ansible_facts']['onelogin_token']
    assert set(fact) == FACT_KEYS
    assert fact['api_url'] == emulator.url
    assert 35000 < fact['expires_in'] <= 36000

    second = run_action(make_task(creds))
    assert second['changed'] is False
    assert second['_ansible_no_log'] is True
    assert second['ansible_facts']['onelogin_token']['access_token'] == fact['access_token']
    assert emulator.stats()['exchanges'] == 1

    entries = list(run_cache.iterdir())
    assert entries and stat.S_IMODE(run_cache.stat().st_mode) == 0o700
    for entry in entries:
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600
        assert emulator.client_secret not in entry.read_text()


def test_reads_the_controller_environment(emulator, clean_env, run_cache):
    clean_env.setenv('ONELOGIN_API_URL', emulator.url)
    clean_env.setenv('ONELOGIN_CLIENT_ID', emulator.client_id)
    clean_env.setenv('ONELOGIN_CLIENT_SECRET', emulator.client_secret)
    clean_env.setenv('ONELOGIN_TOKEN_API', 'v1')
    result = run_action(make_task({}))
    assert result['changed'] is True
    assert emulator.stats()['exchanges_v1'] == 1


def test_force_mints_once_per_task(emulator, creds):
    run_action(make_task(creds))
    forced_task = make_task(dict(creds, force=True))
    forced_first_host = run_action(forced_task)
    forced_second_host = run_action(forced_task)  # same task, another host
    assert forced_first_host['changed'] is True
    assert forced_second_host['changed'] is False
    assert emulator.stats()['exchanges'] == 2
    assert run_action(make_task(dict(creds, force='yes')))['changed'] is True
    assert emulator.stats()['exchanges'] == 3


def test_check_mode_never_mints_a_v1_token(emulator, creds):
    result = run_action(make_task(dict(creds, token_api='v1'), check_mode=True))
    assert result['changed'] is True
    assert 'ansible_facts' not in result
    assert 'v1' in result['msg']
    assert emulator.stats()['exchanges'] == 0


def test_check_mode_reuses_a_cached_v1_token(emulator, creds):
    minted = run_action(make_task(dict(creds, token_api='v1')))
    checked = run_action(make_task(dict(creds, token_api='v1'), check_mode=True))
    assert checked['changed'] is False
    assert checked['ansible_facts'] == {'onelogin_token': dict(minted['ansible_facts']['onelogin_token'],
                                                               expires_in=checked['ansible_facts']['onelogin_token']['expires_in'])}
    assert emulator.stats()['exchanges'] == 1


def test_check_mode_obtains_a_v2_token(emulator, creds):
    result = run_action(make_task(creds, check_mode=True))
    assert result['ansible_facts']['onelogin_token']['access_token']
    assert emulator.stats()['exchanges'] == 1


@pytest.mark.parametrize('args, expected', [
    ({'client_id': 'x', 'client_secret': 'y', 'bogus': 1}, 'Unsupported parameters for sso.onelogin.onelogin_token: bogus'),
    ({'client_id': 'x', 'client_secret': 'y', 'force': 'maybe'}, 'force option'),
    ({'client_secret': 'y'}, 'ONELOGIN_CLIENT_ID'),
    ({'client_id': 'x', 'client_secret': 'y', 'region': 'mars'}, 'ONELOGIN_REGION'),
])
def test_bad_arguments_fail_before_any_request(emulator, clean_env, run_cache, args, expected):
    result = run_action(make_task(args))
    assert result['failed'] is True
    assert expected in result['msg']
    assert '_ansible_no_log' not in result
    assert emulator.stats()['exchanges'] == 0


def test_rejected_secret_fails_with_a_visible_message_without_the_secret(emulator, creds):
    wrong = 'not-' + emulator.client_secret
    result = run_action(make_task(dict(creds, client_secret=wrong)))
    assert result['failed'] is True
    assert '_ansible_no_log' not in result  # the reason must reach the user
    assert 'credentials were rejected' in result['msg']
    assert 'module_defaults' in result['msg']
    assert wrong not in result['msg']
    assert emulator.client_secret not in result['msg']
