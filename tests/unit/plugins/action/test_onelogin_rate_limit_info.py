"""The action plugin of sso.onelogin.onelogin_rate_limit_info, driven as the TaskExecutor drives it."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.sso.onelogin.plugins.action.onelogin_rate_limit_info import ActionModule as RateLimitAction

pytestmark = pytest.mark.usefixtures('door_clock')  # the doors' fake clock: no test waits for real time


def rate_limit(run_action, options, check_mode=False):
    return run_action(options, check_mode=check_mode, plugin=RateLimitAction)


def test_asks_with_the_runs_token_without_a_second_exchange(run_action, emulator_module, emulator, creds):
    token = run_action(creds)['ansible_facts']['onelogin_token']['access_token']
    for unused in range(2):
        requests.get(emulator.url + '/api/2/users', headers={'Authorization': 'Bearer ' + token}, timeout=10)
    result = rate_limit(run_action, creds)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is False
    assert result['rate_limit']['limit'] == emulator_module.RATE_LIMIT
    assert result['rate_limit']['remaining'] == emulator_module.RATE_LIMIT - 2  # two calls; asking takes none
    assert 0 < result['rate_limit']['reset'] <= 3600
    assert set(result['rate_limit']) == {'limit', 'remaining', 'reset'}
    assert token not in repr(result)
    assert emulator.stats()['exchanges'] == 1


def test_on_a_cold_cache_it_obtains_the_runs_token_once(run_action, emulator, creds):
    for unused in range(3):
        assert rate_limit(run_action, creds)['rate_limit']['limit'] > 0
    assert emulator.stats()['exchanges'] == 1
    assert run_action(creds)['changed'] is False  # the module finds the same token cached


def test_check_mode_with_v1_and_no_token_asks_nothing(run_action, emulator, creds, nothing_sent):
    result = rate_limit(run_action, dict(creds, token_api='v1'), check_mode=True)
    assert 'rate_limit' not in result
    assert result['changed'] is False and 'Check mode' in result['msg']
    assert nothing_sent()


def test_a_dead_token_fails_with_advice_and_no_new_exchange(run_action, emulator, creds):
    options = dict(creds, token_api='v1')
    token = run_action(options)['ansible_facts']['onelogin_token']['access_token']
    # Someone else mints a v1 token for the same credentials: the run's token is dead.
    requests.post(emulator.url + '/auth/oauth2/token', json={'grant_type': 'client_credentials'}, timeout=10,
                  headers={'Authorization': 'client_id:%s, client_secret:%s' % (emulator.client_id,
                                                                                emulator.client_secret)})
    result = rate_limit(run_action, options)
    assert result['failed'] is True
    assert 'HTTP 401' in result['msg'] and 'force: true' in result['msg']
    assert token not in result['msg'] and emulator.client_secret not in result['msg']
    assert emulator.stats()['exchanges'] == 2  # the run's and the outsider's: none made by this task


def test_bad_input_fails_before_any_request(run_action, bad_input, nothing_sent):
    options, named, texts = bad_input
    result = rate_limit(run_action, options)
    assert result['failed'] is True
    for text in texts:
        assert text in result['msg']
    assert 'module_defaults' in result['msg']
    assert nothing_sent()


@pytest.mark.parametrize('extra', [{'force': True}, {'state': 'absent'}, {'output': 'record'}])
def test_takes_only_the_connection_options(run_action, creds, nothing_sent, extra):
    result = rate_limit(run_action, dict(creds, **extra))
    assert result['failed'] is True
    assert result['msg'].startswith('Invalid arguments for sso.onelogin.onelogin_rate_limit_info: unsupported '
                                    'parameters: %s. Supported parameters include: api_url, cache, ' % list(extra)[0])
    assert 'client_secret' in result['msg'] and 'force,' not in result['msg']
    assert nothing_sent()
