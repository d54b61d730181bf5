"""Options given as templated variables mean what they render to, through real ansible-playbook runs (issue 12).

D1: a templated ``onelogin_validate_certs`` that renders true keeps TLS verification on, against a real HTTPS
token endpoint on loopback with a self-signed certificate. D2: templated numbers, choices and the persistent
folder. D12: empty values, from the environment as AWX renders them, count as unset.
"""

from __future__ import annotations

import json
import os

import pytest

pytestmark = pytest.mark.integration

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'playbooks')


@pytest.fixture
def tls_emulator(start_emulator):
    """The OneLogin emulator behind TLS with a self-signed certificate (its counters: ``state.stats()``)."""
    return start_emulator(tls=True)


def _run(run_playbook, tmp_path, env, variables, hosts=2, playbook='templated_options.yml'):
    extra = tmp_path / 'extra.json'  # a file: -vvv would echo a command line
    extra.write_text(json.dumps(variables))
    return run_playbook(tmp_path, playbook, env, hosts=hosts, args=['-e', '@%s' % extra])


def _variables(url, **overrides):
    variables = {'token_host': url, 'verify': True, 't': 10, 'api_version': 'v2', 'mode': 'run', 'mydir': ''}
    variables.update(overrides)
    return variables


@pytest.mark.parametrize('verify', [True, 'yes'])
def test_a_templated_validate_certs_that_renders_true_rejects_a_self_signed_host(
        run_playbook, without_onelogin_env, tmp_path, tls_emulator, verify):
    env = dict(without_onelogin_env, ONELOGIN_CLIENT_ID=tls_emulator.client_id,
               ONELOGIN_CLIENT_SECRET=tls_emulator.client_secret)
    run = _run(run_playbook, tmp_path, env, {'token_host': tls_emulator.url, 'verify': verify},
               playbook='templated_validate_certs.yml')
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-4000:]
    assert 'certificate could not be verified' in output
    assert tls_emulator.state.stats()['exchanges'] == 0  # the secret never reached the unverified host
    assert tls_emulator.client_secret not in output


def test_a_templated_validate_certs_that_renders_false_reaches_the_self_signed_host(
        run_playbook, without_onelogin_env, tmp_path, tls_emulator):
    """The control of the test above: the same host is reachable when the user turns the checks off."""
    env = dict(without_onelogin_env, ONELOGIN_CLIENT_ID=tls_emulator.client_id,
               ONELOGIN_CLIENT_SECRET=tls_emulator.client_secret)
    run = _run(run_playbook, tmp_path, env, {'token_host': tls_emulator.url, 'verify': False},
               playbook='templated_validate_certs.yml')
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert tls_emulator.state.stats()['exchanges'] == 2  # one per host: cache='none'


@pytest.mark.parametrize('api_version', ['v2', 'v1'])
def test_templated_numbers_choices_and_the_persistent_folder(
        run_playbook, without_onelogin_env, tmp_path, emulator_process, api_version):
    folder = tmp_path / 'tokens'
    env = dict(without_onelogin_env, ONELOGIN_CLIENT_ID=emulator_process.client_id,
               ONELOGIN_CLIENT_SECRET=emulator_process.client_secret, NO_PROXY='127.0.0.1,localhost')
    variables = _variables(emulator_process.url, t=7, api_version=api_version, mode='persistent', mydir=str(folder))
    before = set(os.listdir(PLAYBOOKS))
    run = _run(run_playbook, tmp_path, env, variables, hosts=4)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert run.stdout.count('TOKEN LENGTH') == 4
    stats = emulator_process.stats()
    assert (stats['exchanges'], stats['exchanges_' + api_version]) == (1, 1)
    assert [name for name in os.listdir(folder) if name.endswith('.json')]  # the cache is where the path says
    assert set(os.listdir(PLAYBOOKS)) == before  # and not under the playbook's folder
    assert not (tmp_path / 'tmp').exists()


def test_empty_environment_values_as_awx_renders_them_count_as_unset(run_playbook, tmp_path, emulator_process):
    env = emulator_process.env(ONELOGIN_REGION='', ONELOGIN_TOKEN_API='', ONELOGIN_SUBDOMAIN='',
                               ONELOGIN_TIMEOUT='', ONELOGIN_VALIDATE_CERTS='', ONELOGIN_CACHE='',
                               ONELOGIN_CACHE_DIR='', ONELOGIN_MIN_TTL='')
    run = run_playbook(tmp_path, 'empty_values.yml', env, hosts=3)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert run.stdout.count('SAME TOKEN True') == 3
    assert emulator_process.stats()['exchanges_v2'] == 1
