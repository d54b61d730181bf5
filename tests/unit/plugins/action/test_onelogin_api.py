"""The action plugin of sso.onelogin.onelogin_api, driven as the TaskExecutor drives it, against the emulator."""

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.sso.onelogin.plugins.action.onelogin_api import ActionModule as ApiAction

pytestmark = pytest.mark.usefixtures('door_clock')  # the doors' fake clock: no test waits for real time


def api(run_action, options, check_mode=False):
    return run_action(options, check_mode=check_mode, plugin=ApiAction)


def test_a_get_returns_the_answer_with_the_runs_token(run_action, emulator, creds):
    result = api(run_action, dict(creds, path='/api/2/users'))
    assert not result.get('failed'), result.get('msg')
    users = emulator.stats()['users']
    assert [user['id'] for user in result['json']] == sorted({user['id'] for user in result['json']})
    assert len(result['json']) == users and result['pagination'] == {'pages': -(-users // 50), 'total_count': users}
    assert (result['changed'], result['status'], result['requests'], result['token_renewed']) == (
        False, 200, result['pagination']['pages'], False)
    assert result['url'].startswith(emulator.url + '/api/2/users?cursor=')  # the last page's request
    assert result['headers']['content-type'].startswith('application/json')
    assert set(result['rate_limit']) >= {'limit', 'remaining'}
    api(run_action, dict(creds, path='/api/2/users'))
    assert emulator.stats()['exchanges'] == 1  # the run's one token for every task
    assert not any(token in json.dumps(result) for token in emulator.issued_tokens())


def test_a_token_invalidated_by_another_v1_mint_is_renewed_once(run_action, emulator, creds):
    options = dict(creds, token_api='v1', path='/api/2/users', paginate=False)
    assert api(run_action, options)['token_renewed'] is False
    requests.post(emulator.url + '/auth/oauth2/token', json={'grant_type': 'client_credentials'}, timeout=10,
                  headers={'Authorization': 'client_id:%s, client_secret:%s' % (emulator.client_id,
                                                                                emulator.client_secret)})
    renewed = api(run_action, options)
    assert not renewed.get('failed'), renewed.get('msg')
    assert renewed['token_renewed'] is True and renewed['requests'] == 3  # 401, the token check, the replay
    assert api(run_action, options)['token_renewed'] is False  # the new token is the cached one now
    assert emulator.stats()['exchanges'] == 3  # ours, theirs, one more


def test_a_failure_returns_status_error_and_url(run_action, emulator, creds):
    result = api(run_action, dict(creds, path='/api/2/no-such-thing'))
    assert result['failed'] is True and result['status'] == 404
    assert set(result['error']) >= {'name', 'message'} and result['url'] == emulator.url + '/api/2/no-such-thing'
    assert (result['requests'], result['retries'], result['token_renewed']) == (1, 0, False)
    assert 'HTTP 404 to GET' in result['msg'] and 'status_code' in result['msg']


def test_check_mode_does_not_send_a_write(run_action, emulator, creds, nothing_sent):
    result = api(run_action, dict(creds, path='/api/2/users', method='POST', body={'email': 'x@example.com'}),
                 check_mode=True)
    assert result['changed'] is True and result['requests'] == 0 and 'not sent' in result['msg']
    assert nothing_sent()


@pytest.mark.parametrize('options, words', [
    ({'path': 'https://elsewhere.example.com/api/2/users'}, 'never leaves the tenant'),
    ({'path': '/api/2/users', 'method': 'TRACE'}, 'method'),
    ({'path': '/api/2/users', 'page_size': 5000}, 'page_size option'),
    ({'path': '/api/2/users', 'pages': 3}, 'unsupported parameters: pages'),
    ({}, 'path'),
])
def test_bad_arguments_fail_before_any_request(run_action, creds, nothing_sent, options, words):
    result = api(run_action, dict(creds, **options))
    assert result['failed'] is True and words in result['msg'] and 'sso.onelogin.onelogin_api' in result['msg']
    assert nothing_sent()


def test_a_secret_in_a_body_never_reaches_a_message(run_action, emulator, creds):
    password = 'P4ssw0rd-that-must-not-show'
    result = api(run_action, dict(creds, path='/api/2/nowhere', method='POST',
                                  body={'email': 'x@example.com', 'password': password}))
    assert result['failed'] is True and password not in json.dumps(result)


def test_check_mode_never_mints_a_v1_token_even_for_a_rejected_one(run_action, emulator, creds):
    options = dict(creds, token_api='v1', path='/api/2/users', paginate=False)
    api(run_action, options)
    requests.post(emulator.url + '/auth/oauth2/token', json={'grant_type': 'client_credentials'}, timeout=10,
                  headers={'Authorization': 'client_id:%s, client_secret:%s' % (emulator.client_id,
                                                                                emulator.client_secret)})
    result = api(run_action, options, check_mode=True)
    assert result['failed'] is True and 'Check mode: OneLogin rejected the v1 token' in result['msg']
    assert emulator.stats()['exchanges'] == 2  # the run's and the outsider's: none in check mode
