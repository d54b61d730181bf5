"""The action plugin of sso.onelogin.onelogin_token, driven as the TaskExecutor drives it."""

from __future__ import annotations

import stat

import pytest

pytestmark = pytest.mark.usefixtures('door_clock')  # the doors' fake clock: no test waits for real time

FACT_KEYS = {'access_token', 'token_type', 'expires_in', 'expires_at', 'created_at', 'account_id', 'api_url'}


def test_mints_then_reuses_and_censors_its_output(run_action, emulator, creds, run_cache):
    first = run_action(creds)
    assert not first.get('failed'), first.get('msg')
    assert first['changed'] is True
    assert first['_ansible_no_log'] is True
    fact = first['ansible_facts']['onelogin_token']
    assert set(fact) == FACT_KEYS
    assert fact['api_url'] == emulator.url
    assert 35000 < fact['expires_in'] <= 36000

    second = run_action(creds)
    assert second['changed'] is False
    assert second['_ansible_no_log'] is True
    assert second['ansible_facts']['onelogin_token']['access_token'] == fact['access_token']
    assert emulator.stats()['exchanges'] == 1

    entries = list(run_cache.iterdir())
    assert entries and stat.S_IMODE(run_cache.stat().st_mode) == 0o700
    for entry in entries:
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600
        assert emulator.client_secret not in entry.read_text()


def test_reads_the_controller_environment(run_action, emulator, clean_env, run_cache):
    clean_env.setenv('ONELOGIN_API_URL', emulator.url)
    clean_env.setenv('ONELOGIN_CLIENT_ID', emulator.client_id)
    clean_env.setenv('ONELOGIN_CLIENT_SECRET', emulator.client_secret)
    clean_env.setenv('ONELOGIN_TOKEN_API', 'v1')
    result = run_action({})
    assert result['changed'] is True
    assert emulator.stats()['exchanges_v1'] == 1


def test_force_mints_once_per_task(run_action, emulator, creds):
    run_action(creds)
    forced_task = run_action.make_task(dict(creds, force=True))
    forced_first_host = run_action(forced_task)
    forced_second_host = run_action(forced_task)  # same task, another host
    assert forced_first_host['changed'] is True
    assert forced_second_host['changed'] is False
    assert emulator.stats()['exchanges'] == 2
    assert run_action(dict(creds, force='yes'))['changed'] is True
    assert emulator.stats()['exchanges'] == 3


def test_check_mode_never_mints_a_v1_token(run_action, emulator, creds):
    result = run_action(dict(creds, token_api='v1'), check_mode=True)
    assert result['changed'] is True
    assert 'ansible_facts' not in result
    assert 'v1' in result['msg']
    assert emulator.stats()['exchanges'] == 0


def test_check_mode_reuses_a_cached_v1_token(run_action, emulator, creds):
    minted = run_action(dict(creds, token_api='v1'))
    checked = run_action(dict(creds, token_api='v1'), check_mode=True)
    assert checked['changed'] is False
    minted_fact, checked_fact = minted['ansible_facts']['onelogin_token'], checked['ansible_facts']['onelogin_token']
    assert set(checked['ansible_facts']) == {'onelogin_token'}
    assert {k: v for k, v in checked_fact.items() if k != 'expires_in'} == {
        k: v for k, v in minted_fact.items() if k != 'expires_in'}
    assert minted_fact['expires_in'] - 5 <= checked_fact['expires_in'] <= minted_fact['expires_in']
    assert emulator.stats()['exchanges'] == 1


def test_check_mode_obtains_a_v2_token(run_action, emulator, creds):
    result = run_action(creds, check_mode=True)
    assert result['ansible_facts']['onelogin_token']['access_token']
    assert emulator.stats()['exchanges'] == 1


@pytest.mark.parametrize('args, expected', [
    ({'client_id': 'x', 'client_secret': 'y', 'bogus': 1},
     'Invalid arguments for sso.onelogin.onelogin_token: unsupported parameters: bogus. Supported parameters include'),
    ({'client_id': 'x', 'client_secret': 'y', 'force': 'maybe'},
     "Invalid arguments for sso.onelogin.onelogin_token: argument 'force' is of type"),
])
def test_bad_arguments_fail_before_any_request(run_action, emulator, clean_env, run_cache, args, expected):
    result = run_action(args)
    assert result['failed'] is True
    assert expected in result['msg']
    assert '_ansible_no_log' not in result
    assert emulator.stats()['exchanges'] == 0


def test_rejected_secret_fails_with_a_visible_message_without_the_secret(run_action, emulator, creds):
    wrong = 'not-' + emulator.client_secret
    result = run_action(dict(creds, client_secret=wrong))
    assert result['failed'] is True
    assert '_ansible_no_log' not in result  # the reason must reach the user
    assert 'credentials were rejected' in result['msg']
    assert 'module_defaults' in result['msg']
    assert wrong not in result['msg']
    assert emulator.client_secret not in result['msg']


def test_bad_input_fails_the_task_before_any_request(run_action, bad_input, nothing_sent):
    options, named, texts = bad_input
    result = run_action(options)
    assert result['failed'] is True
    for text in texts:
        assert text in result['msg']
    assert 'module_defaults' in result['msg']
    assert '_ansible_no_log' not in result  # the reason must reach the user
    assert nothing_sent()


# -- state=absent: revoke ------------------------------------------------------------------------------------------


@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_absent_revokes_the_cached_token_once_and_clears_the_fact(run_action, emulator, creds, token_api):
    options = dict(creds, token_api=token_api)
    token = run_action(options)['ansible_facts']['onelogin_token']['access_token']
    task = run_action.make_task(dict(options, state='absent'))
    first_host = run_action(task)
    second_host = run_action(task)
    assert not first_host.get('failed'), first_host.get('msg')
    assert (first_host['changed'], first_host['revoked']) == (True, True)
    assert (second_host['changed'], second_host['revoked']) == (False, False)
    for result in (first_host, second_host):
        assert result['ansible_facts'] == {'onelogin_token': {}}
        assert token not in repr(result)
    assert not emulator.accepts(token)
    assert emulator.stats()['revokes'] == 1
    # The next task that needs a token gets a new one.
    renewed = run_action(options)
    assert renewed['changed'] is True
    assert emulator.accepts(renewed['ansible_facts']['onelogin_token']['access_token'])


def test_absent_in_check_mode_revokes_nothing(run_action, emulator, creds):
    token = run_action(creds)['ansible_facts']['onelogin_token']['access_token']
    result = run_action(dict(creds, state='absent'), check_mode=True)
    assert (result['changed'], result['revoked']) == (True, False)
    assert 'Check mode' in result['msg']
    assert emulator.accepts(token)
    assert emulator.stats()['revokes'] == 0
    assert run_action(creds)['changed'] is False  # still cached


def test_absent_revokes_a_given_token(run_action, emulator, creds):
    import requests
    answer = requests.post(emulator.url + '/auth/oauth2/v2/token', json={'grant_type': 'client_credentials'},
                           auth=(emulator.client_id, emulator.client_secret), timeout=10).json()
    result = run_action(dict(creds, state='absent', access_token=answer['access_token']))
    assert (result['changed'], result['revoked']) == (True, True)
    assert not emulator.accepts(answer['access_token'])


def test_a_refused_revoke_fails_without_the_token_or_the_secret(run_action, emulator, creds):
    token = 'tok-' + 'f' * 40
    wrong = 'not-' + emulator.client_secret
    result = run_action(dict(creds, client_secret=wrong, state='absent', access_token=token))
    assert result['failed'] is True
    assert 'revoke request' in result['msg'] and 'HTTP 401' in result['msg']
    for secret in (token, wrong, emulator.client_secret):
        assert secret not in result['msg']


@pytest.mark.parametrize('extra, expected', [
    ({'state': 'gone'}, 'value of state must be one of: present, absent, got: gone'),
    ({'access_token': 'abc'}, 'access_token option of sso.onelogin.onelogin_token is for state=absent'),
    ({'state': 'absent', 'force': True}, 'force option of sso.onelogin.onelogin_token applies to state=present'),
    ({'state': 'absent', 'access_token': ''}, 'non-empty string'),
])
def test_bad_state_arguments_fail_before_any_request(run_action, creds, nothing_sent, extra, expected):
    result = run_action(dict(creds, **extra))
    assert result['failed'] is True
    assert expected in result['msg']
    assert nothing_sent()


def test_an_unexpected_error_is_reported_without_a_traceback_or_the_secret(run_action, creds, monkeypatch):
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _token_source

    def broken(*args, **kwargs):
        raise ValueError('bad header value client_secret:%s' % creds['client_secret'])

    monkeypatch.setattr(_token_source, 'obtain', broken)
    result = run_action(creds)
    assert result['failed'] is True
    assert result['msg'].startswith('Unexpected error in the sso.onelogin collection (ValueError at ')
    assert result['msg'].endswith('Please report it.')
    assert '\n' not in result['msg'] and 'Traceback' not in result['msg'] and 'File "' not in result['msg']
    assert 'client_secret:********' in result['msg']
    assert creds['client_secret'] not in repr(result)
    assert 'exception' not in result


def test_a_secret_that_is_a_word_of_the_message_is_not_revealed(run_action, clean_env, run_cache):
    """D11: redacting the secret "password" inside the collection's own words would tell the secret."""
    api_url = 'https://user:pw@acme.onelogin.com'
    messages = [run_action({'client_id': 'id', 'client_secret': secret, 'api_url': api_url})['msg']
                for secret in ('password', 'another-secret-value')]
    assert messages[0] == messages[1]
    assert 'user name or password' in messages[0] and '********' not in messages[0]
