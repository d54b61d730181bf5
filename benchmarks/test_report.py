"""The benchmark's analysis: b/c ratios per pair, outlier runs, and how the ratio target is judged.

Synthetic results, with wall times chosen so that each expected value can be worked out by hand.
"""

from __future__ import annotations

import json
import os
import statistics
import sys

import pytest

BENCHMARKS = os.path.dirname(os.path.abspath(__file__))
if BENCHMARKS not in sys.path:
    sys.path.insert(0, BENCHMARKS)

import report  # noqa: E402  pylint: disable=wrong-import-position
import run  # noqa: E402  pylint: disable=wrong-import-position


def record(scenario, wall, pair=None, hosts=200, lookups=10, forks=50, token_api='v2'):
    return {'scenario': scenario, 'token_api': token_api, 'hosts': hosts, 'forks': forks,
            'lookups': None if scenario == 'a' else lookups, 'pair': pair, 'wall_s': wall, 'cpu_s': wall * 2,
            'rc': 0, 'exchanges': 1 if scenario != 'a' else hosts, 'exchanges_ok': 1, 'api_200': hosts,
            'api_401': 0, 'secret_in_output': False, 'loadavg_1m_before': 1.0}


def results_of(runs):
    return {'format': run.FORMAT, 'runs': runs, 'verification': [], 'checks': [],
            'meta': {'matrix': {'hosts': [200], 'forks': [50], 'lookups': [10], 'token_api': ['v2']}, 'pairs': 3,
                     'sizes': 'full', 'command': 'python benchmarks/run.py --sizes full'}}


KEY = ('v2', 200, 50, 10)


def three_pairs(c_of_pair_3):
    """(a), (d) and three (b, c) pairs at the target size; (b) takes 100 s, (c) 96 s except in pair 3."""
    runs = [record('a', 180.0), record('d', 98.0)]
    for pair in (1, 2, 3):
        runs.append(record('b', 100.0, pair))
        runs.append(record('c', c_of_pair_3 if pair == 3 else 96.0, pair))
    return results_of(runs)


def test_ratios_are_taken_per_pair():
    results = three_pairs(c_of_pair_3=125.0)
    assert run.ratios_by_pair(results) == {KEY: {1: round(100 / 96, 4), 2: round(100 / 96, 4), 3: 0.8}}
    assert run.pair_ratios(results) == {KEY: [round(100 / 96, 4), round(100 / 96, 4), 0.8]}


def test_a_run_many_times_slower_than_its_siblings_is_an_outlier():
    results = three_pairs(c_of_pair_3=1000.0)
    found = run.outliers(results)
    assert list(found) == [(KEY, 'c', 3)]
    # The median of the seven (b), (c), (d) runs: 96, 96, 98, 100, 100, 100, 1000 -> 100.
    assert found[(KEY, 'c', 3)]['sibling_median_wall_s'] == 100.0
    assert run.outlier_pairs(results) == {KEY: {3}}
    assert run.pair_ratios(results, without_outliers=True) == {KEY: [round(100 / 96, 4)] * 2}


def test_a_run_just_under_the_factor_is_not_an_outlier():
    results = three_pairs(c_of_pair_3=run.OUTLIER_FACTOR * 100.0 - 1)
    assert run.outliers(results) == {}
    assert run.pair_ratios(results, without_outliers=True) == run.pair_ratios(results)


def ratio_target_row(results):
    rows = {target: (text, met) for target, text, met in report.target_rows(results)}
    return rows[report._ratio_target()]  # pylint: disable=protected-access


def test_the_ratio_target_is_judged_on_the_worse_median_when_an_outlier_flatters_it():
    # Pair 1: 100/90 = 1.111; pair 2: 100/1000 = 0.1, its (c) ten times its siblings (median 100).
    # The median of the two is 0.606, under the target; without the outlier pair it is 1.111, over it.
    runs = [record('a', 180.0), record('d', 95.0), record('b', 100.0, 1), record('c', 90.0, 1),
            record('b', 100.0, 2), record('c', 1000.0, 2)]
    results = results_of(runs)
    assert statistics.median(run.pair_ratios(results)[KEY]) < run.TARGET_RATIO
    text, met = ratio_target_row(results)
    assert met is False
    assert '1.111 without the pair holding an outlier run' in text


def test_the_ratio_target_is_met_when_both_medians_are_under_it():
    results = three_pairs(c_of_pair_3=1000.0)
    text, met = ratio_target_row(results)
    assert met is True
    assert '%.3f without the pair' % (100 / 96) in text


@pytest.mark.parametrize('c_of_pair_3, marked', [(1000.0, True), (96.0, False)])
def test_the_time_table_marks_pairs_that_hold_an_outlier(c_of_pair_3, marked):
    results = three_pairs(c_of_pair_3)
    row = [line for line in report.time_table(results, 'v2') if line.startswith('| 200 |')][0]
    assert ('0.100%s' % report.OUTLIER_MARK in row) is marked
    assert row.count(report.OUTLIER_MARK) == (1 if marked else 0)
    assert ('### Outliers' in report.markdown(results, 'results.json', charts=False)) is marked


# -- the api-list section (benchmarks/api_list.py) ----------------------------------------------------

def api_list_results(problems=()):
    """(m) 3.0, 2.5, 4.0 s wall; (u) 54.0, 50.0, 60.0 s: u/m 18.0, 20.0, 15.0, median 18.0 (CPU: 24.0)."""
    return {'format': 'sso.onelogin/api-list/1', 'problems': list(problems),
            'meta': {'date': '2026-12-03 15:39 UTC', 'ansible_core': '2.19.14', 'python': '3.11.7',
                     'collection_revision': 'abc123', 'users': 10000, 'page_size': 100, 'rounds': 3},
            'summary': {'scenarios': {
                'm': {'runs': 3, 'median_wall_s': 3.0, 'median_cpu_s': 2.5, 'exchanges': [1], 'api_requests': [100],
                      'api_get': [100], 'items': [10000], 'pages': [100]},
                'u': {'runs': 3, 'median_wall_s': 54.0, 'median_cpu_s': 50.0, 'exchanges': [1],
                      'api_requests': [100, 101], 'api_get': [100, 101], 'items': [10000, None], 'pages': [100]}},
                'wall_ratios': [18.0, 20.0, 15.0], 'median_wall_ratio': 18.0,
                'cpu_ratios': [25.0, 24.0, 12.0], 'median_cpu_ratio': 24.0}}


def test_the_api_list_table_has_a_row_per_scenario_with_counts_and_medians():
    lines = report.api_list_lines(api_list_results())
    assert lines[0] == '## Listing every user: onelogin_api vs uri'
    rows = [line for line in lines if line.startswith('| (')]
    assert rows == ['| (m) `sso.onelogin.onelogin_api` | 100 | 1 | 10000 | **3.00** | 2.50 |',
                    '| (u) `ansible.builtin.uri` | 100/101 | 1 | 10000/– | **54.00** | 50.00 |']
    assert 'u/m wall time per round: 18.000, 20.000, 15.000; median **18.000** (CPU: median 24.000).' in lines
    assert 'holds 10000 users; one local host (`ansible_connection=local`); page size 100; 3 rounds' in lines[2]
    assert not any(line.startswith('- **Problem:**') for line in lines)


def test_the_api_list_section_lists_its_problems():
    lines = report.api_list_lines(api_list_results(problems=['(u) round 2 exited 2']))
    assert lines[-2:] == ['- **Problem:** (u) round 2 exited 2', '']


def test_the_api_list_section_is_last_and_only_when_its_results_exist(tmp_path, monkeypatch):
    results = three_pairs(c_of_pair_3=96.0)
    monkeypatch.setattr(report, 'API_LIST_JSON', str(tmp_path / 'missing.json'))
    assert report.load_api_list() is None and report.api_list_lines(None) == []
    without = report.markdown(results, 'results.json', charts=False)
    assert 'Listing every user' not in without

    path = tmp_path / 'api_list.json'
    path.write_text(json.dumps(api_list_results()), encoding='utf-8')
    monkeypatch.setattr(report, 'API_LIST_JSON', str(path))
    with_section = report.markdown(results, 'results.json', charts=False)
    # The other sections are untouched: the report with the section is the one without it, plus the section.
    assert with_section == without + '\n' + '\n'.join(report.api_list_lines(api_list_results()))
    assert with_section.rstrip().endswith('on the controller.')
