"""Real ansible-playbook runs for the token's lifecycle: revoke, rate limit, persistent cache, faults and retries,
expiry under a long play, two credential sets, and secrets that never show in output or logs."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from ansible_collections.sso.onelogin.tests.integration.playbook_runs import assert_ok, write_extra_vars as extra_vars

pytestmark = pytest.mark.integration

HOSTS = 4


def assert_no_leak(emulator, *texts, also=()):
    """Neither the client secret nor any token the emulator issued shows up in ``texts``."""
    secrets = [emulator.client_secret] + emulator.issued_tokens() + list(also)
    for text in texts:
        for secret in secrets:
            assert secret not in text, 'a secret leaked: %s...' % secret[:6]


# -- lifecycle ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_obtain_ask_the_rate_limit_revoke_and_carry_on(run_playbook, tmp_path, emulator_process, token_api):
    log = tmp_path / 'ansible.log'
    env = emulator_process.env(ONELOGIN_TOKEN_API=token_api, ANSIBLE_LOG_PATH=str(log))
    run = run_playbook(tmp_path, 'lifecycle.yml', env, hosts=HOSTS,
                       args=['--forks', str(HOSTS), '-vvvv', '--diff',
                             '-e', extra_vars(tmp_path, onelogin_api_url=emulator_process.url)])
    assert_ok(run)
    stats = emulator_process.stats()
    # The run's token, its replacement after the revoke, and the forced one (v2 hands back the replacement).
    assert stats['exchanges'] == 3 and stats['exchanges_ok'] == 3
    assert stats['tokens_minted'] == (2 if token_api == 'v2' else 3)
    assert stats['revokes'] == 2
    assert stats['rate_limit_calls'] == HOSTS
    assert stats['api_401'] == HOSTS  # each host tried the revoked token once, on purpose
    assert stats['api_200'] == 2 * HOSTS
    assert log.stat().st_size > 0
    assert_no_leak(emulator_process, run.stdout, run.stderr, log.read_text())


def test_check_mode_and_diff_show_no_secret(run_playbook, tmp_path, emulator_process):
    log = tmp_path / 'ansible.log'
    output_dir = tmp_path / 'out'
    output_dir.mkdir()
    run = run_playbook(tmp_path, 'check_diff.yml', emulator_process.env(ANSIBLE_LOG_PATH=str(log)), hosts=HOSTS,
                       args=['--check', '--diff', '-vvvv', '-e', 'output_dir=%s' % output_dir])
    assert_ok(run)
    assert run.stdout.count('+expires_at = ') == HOSTS  # the run did show diffs
    assert not list(output_dir.iterdir())  # and, in check mode, wrote nothing
    assert emulator_process.stats()['exchanges'] == 1
    assert_no_leak(emulator_process, run.stdout, run.stderr, log.read_text())


@pytest.mark.parametrize('tracebacks', [{'ANSIBLE_DISPLAY_TRACEBACK': 'always'}, {}], ids=['tracebacks', 'plain'])
def test_failures_through_every_door_say_why_and_leak_nothing(run_playbook, tmp_path, emulator_process, tracebacks):
    import requests
    victim = requests.post(emulator_process.url + '/auth/oauth2/v2/token', json={'grant_type': 'client_credentials'},
                           auth=(emulator_process.client_id, emulator_process.client_secret), timeout=10).json()
    wrong_secret = 'wrong-' + emulator_process.client_secret[::-1]
    log = tmp_path / 'ansible.log'
    env = emulator_process.env(ONELOGIN_CLIENT_SECRET=wrong_secret, ANSIBLE_LOG_PATH=str(log), **tracebacks)
    run = run_playbook(tmp_path, 'failures.yml', env, hosts=2,
                       args=['-vvvv', '-e', extra_vars(tmp_path, token_to_revoke=victim['access_token'])])
    assert_ok(run)
    output = run.stdout + run.stderr
    assert 'credentials were rejected' in output and 'ONELOGIN_CLIENT_SECRET' in output
    assert_no_leak(emulator_process, run.stdout, run.stderr, log.read_text(), also=[wrong_secret])


# -- persistent cache -----------------------------------------------------------------------------------------------

def test_a_persistent_cache_makes_one_exchange_for_concurrent_and_later_runs(run_playbook, tmp_path, emulator_process):
    cache_dir = tmp_path / 'tokens'
    env = emulator_process.env(ONELOGIN_CACHE='persistent', ONELOGIN_CACHE_DIR=str(cache_dir), ONELOGIN_TOKEN_API='v1')

    def folder(name):
        path = tmp_path / name
        path.mkdir()
        return path

    # Two runs at once on a cold cache, then three in a row.
    running = [run_playbook(folder('concurrent-%d' % n), 'use_token.yml', env, hosts=HOSTS, wait=False)
               for n in range(2)]
    for process in running:
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    for n in range(3):
        assert_ok(run_playbook(folder('later-%d' % n), 'use_token.yml', env, hosts=HOSTS))
    stats = emulator_process.stats()
    assert stats['exchanges'] == 1
    assert stats['api_200'] == 5 * HOSTS and stats['api_401'] == 0

    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    files = list(cache_dir.iterdir())
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert emulator_process.client_secret not in path.read_text()

    # A damaged entry is a miss: the next run mints once and writes a good one.
    [entry] = [path for path in files if path.suffix == '.json']
    entry.write_text('{"format": "sso.onelogin/token-cache/1", "access_to')
    assert_ok(run_playbook(folder('after-damage'), 'use_token.yml', env, hosts=HOSTS))
    assert emulator_process.stats()['exchanges'] == 2
    assert json.loads(entry.read_text())['format'] == 'sso.onelogin/token-cache/1'


def test_an_unsafe_cache_dir_fails_before_any_request(run_playbook, tmp_path, emulator_process):
    cache_dir = tmp_path / 'open'
    cache_dir.mkdir()
    cache_dir.chmod(0o777)
    env = emulator_process.env(ONELOGIN_CACHE='persistent', ONELOGIN_CACHE_DIR=str(cache_dir))
    run = run_playbook(tmp_path, 'use_token.yml', env)
    assert run.returncode != 0
    assert 'writable by group or others' in run.stdout and 'ONELOGIN_CACHE_DIR' in run.stdout
    assert 'Traceback' not in run.stdout + run.stderr
    assert emulator_process.stats()['exchanges'] == 0


# -- faults: bounded retries, then a clear error --------------------------------------------------------------------

RETRIED = [
    {'fault': 'status', 'code': 500},
    {'fault': 'status', 'code': 502},
    {'fault': 'status', 'code': 503},
    {'fault': 'status', 'code': 504},
    {'fault': 'rate_limited', 'retry_after': 1},
    {'fault': 'error_200', 'code': 503},
    {'fault': 'reset'},
    {'fault': 'slow', 'delay': 3},
]


def _fault_id(fault):
    return '-'.join(str(value) for value in fault.values())


@pytest.mark.slow
@pytest.mark.parametrize('fault', RETRIED, ids=[_fault_id(f) for f in RETRIED])
def test_racing_workers_retry_a_passing_fault_into_one_good_exchange(run_playbook, tmp_path, emulator_process, fault):
    emulator_process.inject(fault)
    run = run_playbook(tmp_path, 'use_token.yml', emulator_process.env(ONELOGIN_TIMEOUT='1'), hosts=6,
                       args=['--forks', '6'])
    assert_ok(run)
    stats = emulator_process.stats()
    assert stats['faults_served'] == 1 and stats['faults_queued'] == 0
    assert stats['tokens_minted'] == 1
    # A slow answer was still a good exchange on the emulator's side; the client gave up on it.
    assert stats['exchanges_ok'] == (2 if fault['fault'] == 'slow' else 1)
    assert stats['exchanges'] == 2
    assert stats['api_200'] == 6 and stats['api_401'] == 0


FATAL = [
    ({'fault': 'not_json'}, 'not JSON'),
    ({'fault': 'error_200', 'code': 401}, 'credentials were rejected'),
    ({'fault': 'status', 'code': 403}, 'HTTP 403'),
]


@pytest.mark.parametrize('fault, says', FATAL, ids=[_fault_id(f[0]) for f in FATAL])
def test_a_fault_that_is_not_passing_fails_at_once_with_a_clear_message(run_playbook, tmp_path, emulator_process,
                                                                        fault, says):
    emulator_process.inject(fault)
    run = run_playbook(tmp_path, 'use_token.yml', emulator_process.env(), args=['-vvv'])
    assert run.returncode != 0
    assert says in run.stdout
    assert 'Traceback' not in run.stdout + run.stderr
    assert emulator_process.stats()['exchanges'] == 1
    assert_no_leak(emulator_process, run.stdout, run.stderr)


@pytest.mark.slow
def test_when_the_retry_budget_runs_out_the_error_says_so(run_playbook, tmp_path, emulator_process):
    emulator_process.inject(*[{'fault': 'status', 'code': 503}] * 40)
    run = run_playbook(tmp_path, 'use_token.yml', emulator_process.env(ONELOGIN_RETRY_TIMEOUT='3'))
    assert run.returncode != 0
    assert 'HTTP 503' in run.stdout and 'Gave up after' in run.stdout
    assert 'retry_timeout is 3 s' in run.stdout and 'ONELOGIN_RETRY_TIMEOUT' in run.stdout
    stats = emulator_process.stats()
    assert 3 <= stats['faults_served'] <= 5 and stats['exchanges_ok'] == 0


# -- a play that outlives its token ---------------------------------------------------------------------------------

LIFETIME = 12
MIN_TTL = 5
CALLS = 15


@pytest.mark.slow
@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_tokens_are_replaced_under_a_long_play_without_a_single_401(run_playbook, tmp_path, start_emulator, token_api):
    emulator = start_emulator(process=True, lifetime=LIFETIME)
    env = emulator.env(ONELOGIN_TOKEN_API=token_api, ONELOGIN_MIN_TTL=str(MIN_TTL))
    started = time.monotonic()
    run = run_playbook(tmp_path, 'long_play.yml', env, hosts=3,
                       args=['--forks', '3', '-e', extra_vars(tmp_path, onelogin_api_url=emulator.url, calls=CALLS)])
    elapsed = time.monotonic() - started
    assert_ok(run)
    stats = emulator.stats()
    assert elapsed > 2 * LIFETIME  # the play did outlive two tokens
    assert stats['api_401'] == 0
    assert stats['api_200'] == 3 * CALLS
    # Replaced as the play went on, once per token for all hosts: a token is handed out for at most
    # LIFETIME - MIN_TTL seconds, and no exchange was wasted.
    assert 3 <= stats['tokens_minted'] <= elapsed / (LIFETIME - MIN_TTL) + 1
    assert stats['exchanges'] == stats['tokens_minted']


# -- two credential sets --------------------------------------------------------------------------------------------

def test_two_credential_sets_in_one_run_get_two_tokens(run_playbook, tmp_path, start_emulator):
    second_id, second_secret = 'second-client', 'second-' + os.urandom(12).hex()
    emulator = start_emulator(process=True, args=('--client', '%s:%s' % (second_id, second_secret)))
    values = {'onelogin_api_url': emulator.url, 'first_id': emulator.client_id,
              'first_secret': emulator.client_secret, 'second_id': second_id, 'second_secret': second_secret}
    env = {name: value for name, value in emulator.env().items() if not name.startswith('ONELOGIN_')}
    run = run_playbook(tmp_path, 'two_tenants.yml', env, hosts=HOSTS, args=['-e', extra_vars(tmp_path, **values)])
    assert_ok(run)
    stats = emulator.stats()
    assert stats['exchanges'] == 2 and stats['tokens_minted'] == 2
    assert stats['api_200'] == 2 * HOSTS and stats['api_401'] == 0
    assert_no_leak(emulator, run.stdout, run.stderr, also=[second_secret])
