"""Real ansible-playbook runs for the hardening of the token cache: a failure many workers wait on is
remembered, not repeated by each (D4)."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.integration

HOSTS = 20
RETRY_TIMEOUT = 4


def test_a_failing_token_endpoint_costs_one_retry_cycle_for_the_whole_run(run_playbook, tmp_path, start_emulator):
    # 200 answers of 503 queued: more than the whole run could ask for, so every request fails.
    emulator = start_emulator(process=True, args=['--fault', 'status:503'] * 200)
    env = emulator.env(ONELOGIN_RETRY_TIMEOUT=str(RETRY_TIMEOUT))
    started = time.monotonic()
    run = run_playbook(tmp_path, 'hardening_token_fails.yml', env, hosts=HOSTS)  # forks: the default 5
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    assert run.returncode != 0
    failed = re.findall(r'^fatal: \[(host\d+)\]: FAILED! => (.*)$', run.stdout, re.MULTILINE)
    assert sorted(host for host, dummy in failed) == ['host%02d' % n for n in range(1, HOSTS + 1)], output[-4000:]
    for dummy, result in failed:
        assert 'HTTP 503' in result and 'ONELOGIN_RETRY_TIMEOUT' in result
    assert 'Traceback' not in output
    stats = emulator.stats()
    # Each token request took one queued 503 (counted in both exchanges and faults_served). One retry
    # cycle of 4 s is about 4 requests; 30 allows a few more cycles if the failure window of 5 s runs
    # out between batches of forks on a slow machine, and is far below one cycle per host (~80).
    assert stats['exchanges'] == stats['faults_served']
    assert 1 <= stats['faults_served'] <= 30, 'token requests: %s in %.1f s' % (stats, elapsed)
    assert stats['exchanges_ok'] == 0
    assert elapsed < 25, 'the run took %.1f s' % elapsed
    assert any('Remembered' in result for dummy, result in failed)  # the others were told, not retried
    assert emulator.client_secret not in output


def test_a_revoke_drops_the_token_from_a_configured_cache_dir_whatever_the_mode(
        run_playbook, tmp_path, emulator_process):
    """D14: with the default cache mode, the revoked token must not stay in the configured cache_dir."""
    tokens = tmp_path / 'tokens'
    run = run_playbook(tmp_path, 'revoke_cache_dir.yml', emulator_process.env(), hosts=3,
                       args=['-e', 'tokens_dir=%s' % tokens])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    stats = emulator_process.stats()
    assert stats['revokes'] == 1
    assert stats['exchanges'] == 3  # into the folder, into the run cache (the same v2 token), a new one after
    assert (stats['api_200'], stats['api_401']) == (3, 0)  # nobody got the revoked token from the folder
