"""Real ansible-playbook runs of the sso.onelogin.connect role against the emulator: one exchange for many hosts,
headers that work, argument validation before any request, the rate-limit threshold, disconnect, and no secret in
the output."""

from __future__ import annotations

import json

import pytest

from ansible_collections.sso.onelogin.tests.integration.playbook_runs import write_extra_vars

pytestmark = pytest.mark.integration

HOSTS = 5
# The role's warning starts with this (roles/connect/tasks/main.yml).
WARNING = 'WARNING: only '


def role_env(without_onelogin_env, emulator, **extra):
    """No ONELOGIN_* variable but the API URL: credentials must come through the role's variables."""
    return dict(without_onelogin_env, ONELOGIN_API_URL=emulator.url, NO_PROXY='127.0.0.1,localhost', **extra)


def above_the_limit(emulator_module):
    """A threshold no tenant of the emulator can meet: more calls than its hourly limit."""
    return emulator_module.RATE_LIMIT + 1


def failure_results(output):
    """The JSON results of the ``fatal: [host]: FAILED! => {...}`` lines."""
    results = []
    for line in output.splitlines():
        if 'FAILED! => ' in line:
            results.append(json.loads(line.split('FAILED! => ', 1)[1]))
    return results


def test_one_exchange_for_every_host_headers_work_and_disconnect_revokes(
        run_playbook, without_onelogin_env, tmp_path, emulator_process, emulator_module):
    threshold = above_the_limit(emulator_module)
    extra = write_extra_vars(tmp_path, onelogin_client_id=emulator_process.client_id,
                             onelogin_client_secret=emulator_process.client_secret,
                             connect_rate_limit_threshold=threshold)
    run = run_playbook(tmp_path, 'role_connect.yml', role_env(without_onelogin_env, emulator_process), hosts=HOSTS,
                       args=['--forks', str(HOSTS), '-vvv', '-e', extra])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    stats = emulator_process.stats()
    assert stats['exchanges'] == 1 and stats['tokens_minted'] == 1
    assert stats['rate_limit_calls'] == 1  # asked once for the play, not per host
    assert stats['api_200'] == HOSTS  # the role's headers worked on every host...
    assert stats['api_401'] == HOSTS  # ...and were refused on every host after disconnect
    assert stats['revokes'] == 1
    [token] = emulator_process.issued_tokens()
    assert not emulator_process.accepts(token)

    # Remaining calls below the threshold: warned once, and the play carried on (it got to disconnect).
    warnings = [line for line in run.stdout.splitlines() if WARNING in line]
    assert len(warnings) == 1, warnings
    assert 'connect_rate_limit_threshold (%d)' % threshold in warnings[0]

    for stream in (run.stdout, run.stderr):
        assert emulator_process.client_secret not in stream
        assert token not in stream


@pytest.mark.parametrize('entry_point', ['main', 'disconnect'])
def test_bad_input_fails_at_argument_validation_before_any_request(
        run_playbook, without_onelogin_env, tmp_path, emulator_process, entry_point):
    bad = {'onelogin_region': 'mars', 'onelogin_timeout': 'not-a-number', 'onelogin_validate_certs': 'maybe'}
    if entry_point == 'main':
        bad['connect_rate_limit_action'] = 'explode'
    extra = write_extra_vars(tmp_path, entry_point=entry_point, onelogin_client_id=emulator_process.client_id,
                             onelogin_client_secret=emulator_process.client_secret, **bad)
    run = run_playbook(tmp_path, 'role_connect_bad_input.yml', role_env(without_onelogin_env, emulator_process),
                       args=['-e', extra])
    assert run.returncode != 0
    assert 'The entry point accepted bad input' not in run.stdout

    [result] = failure_results(run.stdout)
    assert result['validate_args_context']['name'] == 'connect'
    assert result['validate_args_context']['argument_spec_name'] == entry_point
    for option in bad:
        assert any(option in error for error in result['argument_errors']), (option, result['argument_errors'])

    stats = emulator_process.stats()
    assert stats['exchanges'] == 0 and stats['revokes'] == 0 and stats['rate_limit_calls'] == 0
    assert emulator_process.client_secret not in run.stdout + run.stderr


def test_rate_limit_threshold_fail_stops_the_play_on_every_host(
        run_playbook, without_onelogin_env, tmp_path, emulator_process, emulator_module):
    threshold = above_the_limit(emulator_module)
    extra = write_extra_vars(tmp_path, onelogin_client_id=emulator_process.client_id,
                             onelogin_client_secret=emulator_process.client_secret, threshold_above_limit=threshold)
    run = run_playbook(tmp_path, 'role_connect_rate_limit.yml', role_env(without_onelogin_env, emulator_process),
                       hosts=2, args=['-e', extra])
    assert run.returncode != 0

    # The first connect met its threshold (1): no warning. The second one failed, once, naming its threshold.
    assert WARNING not in run.stdout
    [result] = failure_results(run.stdout)
    assert 'connect_rate_limit_threshold (%d)' % threshold in result['msg']
    assert 'reset in' in result['msg']
    # A failed run_once task fails every host: none of them went on.
    assert 'TASK [Not reached]' not in run.stdout

    stats = emulator_process.stats()
    assert stats['exchanges'] == 1
    assert stats['rate_limit_calls'] == 2  # one per connect, not per host


def test_the_plays_module_defaults_reach_the_role(run_playbook, without_onelogin_env, tmp_path, emulator_process):
    """Credentials in the play's group module_defaults, another option as a role input: both apply."""
    extra = write_extra_vars(tmp_path, play_client_id=emulator_process.client_id,
                             play_client_secret=emulator_process.client_secret, onelogin_timeout=7)
    run = run_playbook(tmp_path, 'role_connect_module_defaults.yml', role_env(without_onelogin_env, emulator_process),
                       hosts=3, args=['--forks', '3', '-e', extra])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    stats = emulator_process.stats()
    assert stats['exchanges'] == 1 and stats['api_200'] == 3


def test_the_roles_timeout_input_reaches_the_module(
        run_playbook, without_onelogin_env, tmp_path, start_emulator):
    """onelogin_timeout as a role input: a token endpoint slower than it fails the task, naming the timeout."""
    emulator = start_emulator(process=True, args=('--fault', 'slow:4'))
    extra = write_extra_vars(tmp_path, play_client_id=emulator.client_id, play_client_secret=emulator.client_secret,
                             onelogin_timeout=1, onelogin_retry_timeout=0)
    run = run_playbook(tmp_path, 'role_connect_module_defaults.yml', role_env(without_onelogin_env, emulator),
                       args=['-e', extra])
    assert run.returncode != 0
    [result] = failure_results(run.stdout)
    assert 'within 1 s' in result['msg'] and 'timeout' in result['msg']


@pytest.mark.parametrize('token_api, exchanges, headers', [('v1', 0, 'False'), ('v2', 1, 'True')])
def test_check_mode_mints_no_v1_token_and_the_role_gets_through(
        run_playbook, without_onelogin_env, tmp_path, emulator_process, token_api, exchanges, headers):
    extra = write_extra_vars(tmp_path, onelogin_client_id=emulator_process.client_id,
                             onelogin_client_secret=emulator_process.client_secret, onelogin_token_api=token_api)
    run = run_playbook(tmp_path, 'role_connect_check.yml', role_env(without_onelogin_env, emulator_process), hosts=2,
                       args=['--check', '-e', extra])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert run.stdout.count('CHECKED headers=%s' % headers) == 2
    assert emulator_process.stats()['exchanges'] == exchanges
