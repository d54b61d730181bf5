"""The cold-lookup benchmark's analysis: o/t and f/t per round, the target, the exchange checks, the report table.

Synthetic runs, with wall times chosen so that each expected value can be worked out by hand.
"""

from __future__ import annotations

import os
import sys

BENCHMARKS = os.path.dirname(os.path.abspath(__file__))
if BENCHMARKS not in sys.path:
    sys.path.insert(0, BENCHMARKS)

import cold_lookup  # noqa: E402  pylint: disable=wrong-import-position
import report  # noqa: E402  pylint: disable=wrong-import-position


def run(scenario, cache, round_number, wall, exchanges=None):
    if exchanges is None:
        exchanges = 1 if scenario in ('o', 'f') and cache == 'run' else 0
    return {'scenario': scenario, 'cache': cache, 'round': round_number, 'wall_s': wall, 'cpu_s': wall * 2,
            'rc': 0, 'exchanges': exchanges, 'secret_in_output': False, 'hosts': 40, 'forks': 10}


def results_of(runs, caches=('run',)):
    return {'runs': runs, 'meta': {'caches': list(caches), 'target_ratio': 1.08, 'date': 'd', 'ansible_core': '2.19',
                                   'python': '3.11', 'collection_revision': 'r', 'hosts': 40, 'forks': 10,
                                   'lookups_per_host': 10}}


# (t) takes 4 s in every round; (o) 4.4, 4.2, 4.8 s (ratios 1.10, 1.05, 1.20); (f) 4.16, 4.12, 4.0 s (1.04, 1.03, 1.00).
THREE_ROUNDS = [run(scenario, 'run', number, wall) for number, walls in enumerate(
    ((4.4, 4.0, 4.16), (4.2, 4.0, 4.12), (4.8, 4.0, 4.0)), start=1) for scenario, wall in zip('otf', walls)]


def test_ratios_are_per_round_against_the_trivial_lookup():
    assert [round(r, 3) for r in cold_lookup.ratios(THREE_ROUNDS, 'run')] == [1.1, 1.05, 1.2]
    assert [round(r, 3) for r in cold_lookup.ratios(THREE_ROUNDS, 'run', scenario='f')] == [1.04, 1.03, 1.0]
    assert cold_lookup.ratios(THREE_ROUNDS, 'persistent') == []


def test_ratios_against_the_floor_are_per_round():
    # o/f: 4.4/4.16, 4.2/4.12, 4.8/4.0
    assert [round(r, 3) for r in cold_lookup.ratios(THREE_ROUNDS, 'run', against='f')] == [1.058, 1.019, 1.2]


def test_block_medians_take_each_run_of_five_rounds_and_leave_a_partial_block_out():
    values = [1.0, 1.2, 1.1, 0.9, 1.3, 2.0, 2.2, 2.1, 1.9, 2.3, 9.0, 9.0]
    assert cold_lookup.block_medians(values) == [1.1, 2.1]
    assert cold_lookup.block_medians(values[:4]) == []


def test_the_summary_takes_medians_and_judges_the_target_on_the_wall_ratio():
    line, = cold_lookup.summary(results_of(THREE_ROUNDS))
    assert (line['median_wall_ratio'], line['median_cpu_ratio'], line['median_floor_ratio']) == (1.1, 1.1, 1.03)
    assert line['median_vs_floor'] == 1.058 and line['block_medians'] == []
    assert line['met'] is False and line['exchanges_per_run'] == [1]
    fast = [dict(r, wall_s=4.2, cpu_s=8.4) if r['scenario'] == 'o' else r for r in THREE_ROUNDS]
    assert cold_lookup.summary(results_of(fast))[0]['met'] is True  # 1.05


def test_a_second_exchange_or_an_exchange_with_a_warm_persistent_cache_is_a_problem():
    assert cold_lookup.checks(results_of(THREE_ROUNDS)) == []
    runs = THREE_ROUNDS + [run('f', 'run', 4, 4.0, exchanges=2), run('o', 'persistent', 1, 4.0, exchanges=1)]
    problems = cold_lookup.checks(results_of(runs))
    assert problems == ['(f) cache=run round 4 made 2 exchanges, not 1',
                        '(o) cache=persistent round 1 made 1 exchanges, not 0']


def test_the_report_table_shows_the_floor_beside_the_target():
    results = results_of(THREE_ROUNDS)
    results['summary'] = cold_lookup.summary(results)
    results['problems'] = []
    row = [line for line in report.cold_lookup_lines(results) if line.startswith('| run |')]
    assert row == ['| run | 1.100, 1.050, 1.200 | **1.100** | 1.100 | 1 | %s | - | 1.040, 1.030, 1.000 | 1.030 | 1.058 |'
                   % report._mark(False)]


class FakeWorkspace:
    path = '/nowhere'
    collections = '/nowhere/collections'

    @staticmethod
    def env(token_api):
        return {'PYTHONDONTWRITEBYTECODE': '1', 'ONELOGIN_TOKEN_API': token_api}  # as the caller's environment may say


def test_bytecode_on_lets_python_write_bytecode_whatever_the_callers_environment_says():
    env = cold_lookup.environment(FakeWorkspace, 'run', 'on')
    assert 'PYTHONDONTWRITEBYTECODE' not in env
    assert (env['ONELOGIN_CACHE'], env['ONELOGIN_TOKEN_API']) == ('run', 'v2')


def test_bytecode_off_makes_every_worker_compile_from_source():
    assert cold_lookup.environment(FakeWorkspace, 'persistent', 'off')['PYTHONDONTWRITEBYTECODE'] == '1'
    assert cold_lookup.parse_args([]).bytecode == 'on'
