"""The benchmark's smallest size, as a smoke test: the script works, and (b) still makes exactly one exchange.

Not a timed test: nothing here looks at wall times. benchmarks/run.py --sizes smoke runs scenarios
(a) to (d) on 1 host with token API v1 and v2 against an emulator process, counts the lookup calls
of every run, and runs the in-process micro benchmark; --check makes it exit 1 on a wrong count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRIVER = os.path.join(ROOT, 'benchmarks', 'run.py')

# slow: the smoke size runs on the first and last leg of the matrix only, which keeps .ci/run in its budget.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope='module')
def smoke(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('bench')
    results_path = tmp_path / 'results.json'
    run = subprocess.run(
        [sys.executable, DRIVER, '--sizes', 'smoke', '--pairs', '1', '--json', str(results_path), '--check'],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    with open(results_path, encoding='utf-8') as handle:
        return json.load(handle), run


def runs_of(results, scenario, token_api):
    found = [r for r in results['runs'] if r['scenario'] == scenario and r['token_api'] == token_api]
    assert found, 'no (%s) run for %s' % (scenario, token_api)
    return found


@pytest.mark.parametrize('token_api', ['v1', 'v2'])
def test_the_collection_makes_exactly_one_exchange_and_no_401(smoke, token_api):
    results = smoke[0]
    for record in runs_of(results, 'b', token_api):
        assert record['rc'] == 0
        assert record['exchanges'] == 1
        assert record['api_401'] == 0
        assert record['api_200'] == record['hosts']
    for scenario in ('c', 'd'):
        for record in runs_of(results, scenario, token_api):
            assert record['rc'] == 0
            assert record['api_401'] == 0


@pytest.mark.parametrize('token_api', ['v1', 'v2'])
def test_the_uri_approach_makes_one_exchange_per_host(smoke, token_api):
    results = smoke[0]
    for record in runs_of(results, 'a', token_api):
        assert record['rc'] == 0
        assert record['exchanges'] == record['hosts']
        assert record['api_200'] + record['api_401'] == record['hosts']


def test_the_lookups_are_really_evaluated(smoke):
    results = smoke[0]
    for record in results['runs']:
        calls = record['lookup_calls']
        if record['scenario'] == 'b':
            assert calls.get('sso.onelogin.onelogin_token') == record['hosts'] * record['lookups']
            assert 'ansible.builtin.env' not in calls
        elif record['scenario'] == 'c':
            assert calls.get('ansible.builtin.env') == record['hosts'] * record['lookups']
            assert 'sso.onelogin.onelogin_token' not in calls
        else:
            assert calls == {}


def test_the_micro_benchmark_ran_on_one_token(smoke):
    results = smoke[0]
    micro = results['micro']
    assert micro['exchanges_total'] == 1
    assert micro['cold_mint']['imported_requests'] is True
    assert not any(record['imported_requests'] for record in micro['cold_cached'])  # the cached path stays light
    assert micro['warm']['lookup_run']['calls'] > 0


def test_no_secret_and_all_checks_pass(smoke):
    results, run = smoke
    assert not any(record['secret_in_output'] for record in results['runs'])
    assert results['checks'] and all(check['ok'] for check in results['checks'])
    assert 'bench-secret-' not in run.stdout + run.stderr  # the driver's own throwaway secret


def run_driver(tmp_path, driver, *args):
    """Run benchmarks/<driver> with ``args``, --json and --check; return ``(results, run)`` once it succeeded."""
    results_path = tmp_path / 'results.json'
    run = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'benchmarks', driver)] + list(args)
        + ['--json', str(results_path), '--check'],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    with open(results_path, encoding='utf-8') as handle:
        return json.load(handle), run


def test_the_cold_lookup_driver_runs_its_three_lookups_with_the_right_exchange_counts(tmp_path):
    """benchmarks/cold_lookup.py at its smallest: 2 hosts, 1 round, both cache modes; --check fails on a count."""
    results, dummy = run_driver(tmp_path, 'cold_lookup.py', '--hosts', '2', '--forks', '2', '--rounds', '1')
    assert results['problems'] == []
    seen = {(r['scenario'], r['cache']): r['exchanges'] for r in results['runs'] if r['round'] == 1}
    assert seen == {('o', 'run'): 1, ('t', 'run'): 0, ('f', 'run'): 1,
                    ('o', 'persistent'): 0, ('t', 'persistent'): 0, ('f', 'persistent'): 0}
    assert [line['cache'] for line in results['summary']] == ['run', 'persistent']
    assert all(line['median_floor_ratio'] > 0 for line in results['summary'])


def test_the_api_list_driver_lists_every_user_both_ways_with_one_exchange_each(tmp_path):
    """benchmarks/api_list.py at a tiny size: 250 users, 3 pages of 100, 1 round; --check fails on a count."""
    results, run = run_driver(tmp_path, 'api_list.py', '--users', '250', '--page-size', '100', '--rounds', '1')
    assert results['format'] == 'sso.onelogin/api-list/1' and results['problems'] == []
    seen = {r['scenario']: (r['rc'], r['items'], r['unique_ids'], r['pages'], r['exchanges'], r['api_get'])
            for r in results['runs']}
    assert seen == {'m': (0, 250, 250, 3, 1, 3), 'u': (0, 250, 250, 3, 1, 3)}
    assert not any(r['secret_in_output'] for r in results['runs'])
    assert 'bench-secret-' not in run.stdout + run.stderr
    assert results['summary']['median_wall_ratio'] > 0
