"""Real ansible-playbook runs against the OneLogin emulator running as a separate process.

Nothing is stubbed here: ansible-playbook forks its workers, the module and the lookup talk HTTP
to the emulator, and the emulator's counters say how many token exchanges reached "OneLogin".
"""

from __future__ import annotations

import json

import pytest


HOSTS = 30
FORKS = 10
# API calls per host in one_token_per_run.yml: play 1 makes two, play 2 one, play 3 one.
API_CALLS_PER_HOST = 4

pytestmark = pytest.mark.integration


@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_one_exchange_for_many_hosts_forks_plays_and_lookups(run_playbook, tmp_path, emulator_process, token_api):
    output_dir = tmp_path / 'rendered'
    output_dir.mkdir()
    # -vvv: results are printed from -v on, so a module result that lost its censoring would show the token.
    run = run_playbook(tmp_path, 'one_token_per_run.yml', emulator_process.env(ONELOGIN_TOKEN_API=token_api),
                       hosts=HOSTS, args=['--forks', str(FORKS), '-vvv', '-e', 'output_dir=%s' % output_dir])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    stats = emulator_process.stats()
    assert stats['exchanges'] == 1
    assert stats['exchanges_' + token_api] == 1
    assert stats['api_401'] == 0
    assert stats['api_200'] == HOSTS * API_CALLS_PER_HOST

    tokens = {(output_dir / ('host%02d.token' % n)).read_text().strip() for n in range(1, HOSTS + 1)}
    assert len(tokens) == 1
    token = tokens.pop()
    assert len(token) >= 32
    for stream in (run.stdout, run.stderr):
        assert token not in stream
        assert emulator_process.client_secret not in stream


@pytest.mark.parametrize('token_api', ['v2', 'v1'])
def test_module_defaults_and_variables_share_one_token_and_force_mints_once(
        run_playbook, without_onelogin_env, tmp_path, emulator_process, token_api):
    extra = {
        'emulator_url': emulator_process.url,
        'onelogin_client_id': emulator_process.client_id,
        'onelogin_client_secret': emulator_process.client_secret,
        'onelogin_token_api': token_api,
    }
    extra_vars = tmp_path / 'extra_vars.json'  # a file: ansible-playbook -vvvv echoes its command line
    extra_vars.write_text(json.dumps(extra))
    args = ['--forks', '5', '-vvvv', '-e', '@%s' % extra_vars]
    run = run_playbook(tmp_path, 'settings_sources.yml', without_onelogin_env, hosts=6, args=args)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    # The secret was a task argument (module_defaults) and a variable: still never printed, even at -vvvv.
    assert emulator_process.client_secret not in run.stdout + run.stderr
    stats = emulator_process.stats()
    # One exchange for the run, one more for the forced task: whatever the number of hosts.
    assert stats['exchanges'] == 2
    assert stats['exchanges_ok'] == 2


@pytest.mark.parametrize('show_tracebacks', [False, True])
def test_rejected_credentials_fail_clearly_without_leaking(run_playbook, tmp_path, emulator_process, show_tracebacks):
    wrong_secret = 'wrong-' + emulator_process.client_secret
    env = emulator_process.env(ONELOGIN_CLIENT_SECRET=wrong_secret)
    if show_tracebacks:  # ansible-core 2.19+ then shows the lookup's exception chain too
        env['ANSIBLE_DISPLAY_TRACEBACK'] = 'always'
    run = run_playbook(tmp_path, 'bad_credentials.yml', env, args=['-vvvv'])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    output = run.stdout + run.stderr
    assert 'credentials were rejected' in output
    if not show_tracebacks:
        assert 'Traceback' not in output
    assert wrong_secret not in output
    assert emulator_process.client_secret not in output
    # The module asked once, no retry; the lookup in the next task got the remembered failure at once.
    assert emulator_process.stats()["exchanges"] == 1


@pytest.mark.parametrize('token_api, exchanges, marker', [
    ('v2', 1, 'CHECKED changed=True fact=True'),
    ('v1', 0, 'CHECKED changed=True fact=False'),
])
def test_check_mode_mints_v2_but_never_v1(run_playbook, tmp_path, emulator_process, token_api, exchanges, marker):
    run = run_playbook(tmp_path, 'check_mode.yml', emulator_process.env(ONELOGIN_TOKEN_API=token_api),
                       args=['--check'])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert marker in run.stdout
    assert emulator_process.stats()['exchanges'] == exchanges


def test_http_to_a_remote_host_is_refused_before_sending(run_playbook, tmp_path, emulator_process):
    env = emulator_process.env(ONELOGIN_API_URL='http://onelogin.example.com')
    run = run_playbook(tmp_path, 'check_mode.yml', env)
    assert run.returncode != 0
    assert 'clear text' in run.stdout
    assert 'ONELOGIN_API_URL' in run.stdout
    assert 'Traceback' not in run.stdout + run.stderr
    assert emulator_process.stats()['exchanges'] == 0
