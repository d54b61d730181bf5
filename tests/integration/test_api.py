"""Real ansible-playbook runs of sso.onelogin.onelogin_api (module and lookup) against the emulator in a process.

Nothing is stubbed: workers fork, the module and the lookup walk the emulator's pages over HTTP, and the emulator's
counters say what reached "OneLogin" - token exchanges, 400s, 401s, 429s, POSTs.
"""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.sso.onelogin.tests.integration.playbook_runs import assert_ok, write_extra_vars

pytestmark = pytest.mark.integration

USERS = 300


def secrets_of(emulator):
    basic = base64.b64encode(('%s:%s' % (emulator.client_id, emulator.client_secret)).encode()).decode()
    return [emulator.client_secret, basic] + emulator.issued_tokens()


def test_every_host_gets_every_user_with_one_token_through_module_and_lookup(run_playbook, tmp_path, start_emulator):
    hosts = 30
    emulator = start_emulator(process=True, args=('--users', str(USERS), '--encode-cursors'))
    log = tmp_path / 'ansible.log'
    run = run_playbook(tmp_path, 'api_list.yml', emulator.env(ANSIBLE_LOG_PATH=str(log)), hosts=hosts,
                       args=['--forks', '10', '-vvvv', '-e', write_extra_vars(tmp_path, expected_users=USERS)])
    assert_ok(run)
    stats = emulator.stats()
    assert stats['exchanges'] == 1
    assert (stats['api_400'], stats['api_401'], stats['api_429']) == (0, 0, 0)
    # Per host: 6 pages of 50 (module), 3 of 100 and 1 filtered page of 1 (lookup).
    assert stats['api_get'] == hosts * (USERS // 50 + USERS // 100 + 1)
    shown = run.stdout + run.stderr + log.read_text()
    assert [secret for secret in secrets_of(emulator) if secret in shown] == []


def test_a_v1_token_invalidated_mid_play_is_renewed_once_for_the_run(run_playbook, tmp_path, start_emulator):
    hosts = 8
    emulator = start_emulator(process=True)
    run = run_playbook(tmp_path, 'api_v1_renewal.yml', emulator.env(ONELOGIN_TOKEN_API='v1'), hosts=hosts,
                       args=['--forks', '4'])
    assert_ok(run)
    stats = emulator.stats()
    assert stats['exchanges'] == 3  # ours, theirs, and one more for the whole run
    assert stats['api_200'] == 2 * hosts  # every call succeeded in the end
    assert stats['api_401'] <= hosts  # each host met the dead token at most once, then used the new one


def test_a_token_that_runs_out_between_two_pages_is_replaced_and_the_walk_completes(run_playbook, tmp_path,
                                                                                    start_emulator):
    # The first page's answer is held back until the 4-second token is dead: the next page needs a new one.
    emulator = start_emulator(process=True, lifetime=4, args=('--users', str(USERS), '--api-fault', 'slow:4.5'))
    result_file = tmp_path / 'walked.json'
    run = run_playbook(tmp_path, 'api_walk.yml', emulator.env(ONELOGIN_MIN_TTL='1'),
                       args=['-e', write_extra_vars(tmp_path, result_file=str(result_file))])
    assert_ok(run)
    walked = json.loads(result_file.read_text())
    assert len(walked['json']) == USERS and walked['pagination']['pages'] == 3
    stats = emulator.stats()
    assert stats['exchanges'] == 2 and stats['api_400'] == 0
    assert stats['api_200'] - stats['api_401'] >= 3


def test_a_page_that_keeps_failing_fails_the_task_without_a_partial_list(run_playbook, tmp_path, start_emulator):
    faults = ['--api-fault', 'slow:0'] + ['--api-fault', 'status:503'] * 30  # page 1 answers, page 2 never does
    emulator = start_emulator(process=True, args=['--users', str(USERS)] + faults)
    result_file = tmp_path / 'walked.json'
    run = run_playbook(tmp_path, 'api_walk.yml', emulator.env(ONELOGIN_RETRY_TIMEOUT='3'),
                       args=['-e', write_extra_vars(tmp_path, result_file=str(result_file), may_fail=True)])
    assert_ok(run)
    walked = json.loads(result_file.read_text())
    assert walked['failed'] is True and 'json' not in walked
    assert walked['status'] == 503 and 'Gave up after' in walked['msg'] and 'retry_timeout' in walked['msg']
    assert emulator.stats()['api_5xx'] >= 2  # page 2 was tried more than once


def test_writes_are_not_repeated_and_an_endpoints_own_401_mints_nothing(run_playbook, tmp_path, start_emulator):
    password = 'Pw-' + base64.b16encode(b'never shown').decode()
    emulator = start_emulator(process=True, args=('--users', '5', '--api-fault', 'slow:5'))
    result_file = tmp_path / 'writes.json'
    run = run_playbook(tmp_path, 'api_writes.yml', emulator.env(ONELOGIN_TIMEOUT='2'), args=[
        '-vvvv', '-e', write_extra_vars(tmp_path, result_file=str(result_file), user_password=password)])
    assert_ok(run)
    results = json.loads(result_file.read_text())
    assert results['lost']['failed'] is True and 'may have been carried out' in results['lost']['msg']
    assert results['taken']['status'] == 422 and results['taken']['error'] == {
        'name': 'UnprocessableEntityError', 'message': 'Validation failed: Email must be unique'}
    assert len(results['found']['json']) == 1  # the lost POST created the user, once
    assert results['mfa']['status'] == 401 and 'although the token is valid' in results['mfa']['msg']
    assert results['curly_name'] == '{{ 6 * 7 }}'  # not 42: OneLogin's data is never templated
    stats = emulator.stats()
    assert stats['api_post'] == 4 and stats['users_created'] == 2  # lost, taken, curly, MFA: each sent once
    assert stats['exchanges'] == 1 and stats['rate_limit_calls'] == 1  # the MFA 401 was checked, nothing minted
    shown = run.stdout + run.stderr
    assert [secret for secret in secrets_of(emulator) + [password] if secret in shown] == []


@pytest.mark.slow  # two plays that wait for several rate-limit windows: on the legs either side of 2.19 only
def test_a_spent_rate_limit_is_waited_out_and_sharing_it_saves_429s(run_playbook, tmp_path, start_emulator,
                                                                    record_property):
    hosts = 10
    refused = {}
    for cache in ('none', 'run'):  # alone: every worker finds out by a 429; shared: through the run's cache
        emulator = start_emulator(process=True, args=('--users', str(USERS), '--rate-limit', '20',
                                                      '--rate-window', '2'))
        folder = tmp_path / cache
        folder.mkdir()
        run = run_playbook(folder, 'api_list.yml', emulator.env(ONELOGIN_CACHE=cache), hosts=hosts,
                           args=['--forks', str(hosts), '-e', write_extra_vars(folder, expected_users=USERS)])
        assert_ok(run)  # every host got every user, after the resets
        stats = emulator.stats()
        assert stats['api_200'] == hosts * (USERS // 50 + USERS // 100 + 1)
        refused[cache] = stats['api_429']
        record_property('api_429_cache_' + cache, stats['api_429'])
    print('429 answers for %d hosts listing %d users: %d alone (cache=none), %d shared (cache=run)'
          % (hosts, USERS, refused['none'], refused['run']))
    assert refused['none'] > 0
    assert refused['run'] * 2 <= refused['none']  # shared, at least half of them are saved
