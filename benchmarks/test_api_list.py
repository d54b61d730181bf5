"""The api-list benchmark's analysis: u/m per round, the medians, the checks, what the play prints.

Synthetic runs, with times chosen so that each expected value can be worked out by hand.
"""

from __future__ import annotations

import os
import sys

import pytest

BENCHMARKS = os.path.dirname(os.path.abspath(__file__))
if BENCHMARKS not in sys.path:
    sys.path.insert(0, BENCHMARKS)

import api_list  # noqa: E402  pylint: disable=wrong-import-position

USERS = 10000


def run(scenario, round_number, wall, cpu, **changes):
    record = {'scenario': scenario, 'round': round_number, 'users': USERS, 'page_size': 100, 'rc': 0,
              'wall_s': wall, 'cpu_s': cpu, 'exchanges': 1, 'api_requests': 100, 'api_get': 100, 'api_200': 100,
              'api_429': 0, 'items': USERS, 'unique_ids': USERS, 'pages': 100, 'secret_in_output': False}
    record.update(changes)
    return record


def results_of(runs):
    return {'runs': runs, 'meta': {'users': USERS, 'page_size': 100, 'rounds': 3}}


# Wall: (m) 3.0, 2.5, 4.0 s; (u) 54.0, 50.0, 60.0 s -> u/m 18.0, 20.0, 15.0, median 18.0.
# CPU:  (m) 2.0, 2.5, 4.0 s; (u) 50.0, 60.0, 48.0 s -> u/m 25.0, 24.0, 12.0, median 24.0.
THREE_ROUNDS = [run('m', 1, 3.0, 2.0), run('u', 1, 54.0, 50.0),
                run('m', 2, 2.5, 2.5), run('u', 2, 50.0, 60.0),
                run('m', 3, 4.0, 4.0), run('u', 3, 60.0, 48.0)]


def test_ratios_are_u_over_m_of_the_same_round_in_round_order():
    assert api_list.ratios(THREE_ROUNDS) == [18.0, 20.0, 15.0]
    assert api_list.ratios(THREE_ROUNDS, 'cpu_s') == [25.0, 24.0, 12.0]
    # Listed out of order, and a round 4 that has only (m): the pairing is by round, the lone run left out.
    shuffled = list(reversed(THREE_ROUNDS)) + [run('m', 4, 1.0, 1.0)]
    assert api_list.ratios(shuffled) == [18.0, 20.0, 15.0]


def test_the_summary_takes_medians_per_scenario_and_of_the_ratios():
    summary = api_list.summary(results_of(THREE_ROUNDS))
    module, uri = summary['scenarios']['m'], summary['scenarios']['u']
    assert (module['median_wall_s'], module['median_cpu_s']) == (3.0, 2.5)
    assert (uri['median_wall_s'], uri['median_cpu_s']) == (54.0, 50.0)
    assert module['runs'] == uri['runs'] == 3
    assert (summary['median_wall_ratio'], summary['median_cpu_ratio']) == (18.0, 24.0)
    assert summary['wall_ratios'] == [18.0, 20.0, 15.0]


def test_the_summary_lists_each_distinct_count_once():
    runs = THREE_ROUNDS[:5] + [run('u', 3, 60.0, 48.0, api_requests=101, api_get=101, items=None)]
    uri = api_list.summary(results_of(runs))['scenarios']['u']
    assert uri['api_requests'] == [100, 101]
    assert uri['exchanges'] == [1]
    assert uri['items'] == [USERS, None]  # a run that printed no count sorts last


def test_a_summary_without_both_scenarios_has_no_ratio():
    summary = api_list.summary(results_of([run('m', 1, 3.0, 2.0)]))
    assert list(summary['scenarios']) == ['m']
    assert summary['median_wall_ratio'] is None and summary['wall_ratios'] == []


def test_good_runs_have_no_problem():
    assert api_list.checks(results_of(THREE_ROUNDS)) == []


def test_a_failed_run_a_leak_a_short_list_a_duplicate_or_a_second_exchange_is_a_problem():
    runs = [run('m', 1, 3.0, 2.0, rc=2, items=None, unique_ids=None),
            run('u', 1, 54.0, 50.0, secret_in_output=True),
            run('m', 2, 3.0, 2.0, items=9900, unique_ids=9900),
            run('u', 2, 54.0, 50.0, unique_ids=9999),
            run('m', 3, 3.0, 2.0, exchanges=2),
            run('u', 3, 54.0, 50.0, exchanges=0)]  # no more than one: not a problem on its own
    assert api_list.checks(results_of(runs)) == [
        '(m) round 1 exited 2',
        '(m) round 1 listed None users (None distinct ids), not 10000',
        '(u) round 1 printed the client secret',
        '(m) round 2 listed 9900 users (9900 distinct ids), not 10000',
        '(u) round 2 listed 10000 users (9999 distinct ids), not 10000',
        '(m) round 3 made 2 token exchanges, not 1',
    ]


def test_the_count_is_read_from_what_the_play_printed():
    output = ('TASK [Report the count to the driver] ***\nok: [node001] => {\n'
              '    "msg": "api_list items=10000 unique=9999 pages=100"\n}\n')
    assert api_list.parse_reported(output) == (10000, 9999, 100)
    assert api_list.parse_reported('fatal: [node001]: FAILED! => {"msg": "Assertion failed"}') == (None, None, None)


def test_the_defaults_are_the_issue_s_size():
    args = api_list.parse_args([])
    assert (args.users, args.page_size, args.rounds, args.check, args.json) == (10000, 100, 3, False, None)


@pytest.mark.parametrize('bad', [['--users', '0'], ['--users', '100001'], ['--page-size', '1001'], ['--rounds', '0']])
def test_sizes_the_emulator_or_onelogin_would_refuse_are_refused(bad):
    with pytest.raises(SystemExit) as caught:
        api_list.parse_args(bad)
    assert caught.value.code == 2
