# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: every user of a large tenant, with sso.onelogin.onelogin_api beside the best hand-written uri play.

The emulator is started with ``--users N`` (10,000 by default) and reset before every run. On one local host
(``ansible_connection=local``), interleaved per round (m, u, m, u, ...):

  (m) benchmarks/playbooks/api_list_module.yml: one ``sso.onelogin.onelogin_api`` task, ``path: /api/2/users``,
      ``page_size: 100``, registered, then an assert that the list holds every user once;
  (u) benchmarks/playbooks/api_list_uri.yml: ``ansible.builtin.uri`` only - a hand-written token POST (v2, HTTP
      Basic), page 1 with ``limit=100`` to read ``Total-Pages``, a loop over pages 2..N by page number, the pages
      joined with ``set_fact``, the same assert.

Per run: wall and CPU seconds (ansible-playbook and every process it waited for), the emulator's token exchanges
and API requests, the item count the play printed, and whether the client secret appeared in the output. The
summary: medians per scenario, and the ratio u/m per round (side by side, because the machine is noisy).

Usage: python benchmarks/api_list.py [--users 10000] [--page-size 100] [--rounds 3]
       [--json benchmarks/results/api_list.json] [--check]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from run import Emulator, Workspace, ansible_playbook_path, git_revision, log, machine_info, write_json  # noqa: E402

FORMAT = 'sso.onelogin/api-list/1'
SCENARIOS = ('m', 'u')
PLAYS = {'m': os.path.join(HERE, 'playbooks', 'api_list_module.yml'),
         'u': os.path.join(HERE, 'playbooks', 'api_list_uri.yml')}
DESCRIPTIONS = {
    'm': 'sso.onelogin.onelogin_api: one task (cursor pagination, the run\'s token), then the assert',
    'u': 'ansible.builtin.uri: token POST, page 1 for Total-Pages, a loop over pages 2..N by page number, '
         'set_fact joining the pages, then the assert',
}
DEFAULT_JSON = os.path.join(HERE, 'results', 'api_list.json')
# What both plays print last (a debug task): the driver checks the list from it.
REPORTED = re.compile(r'api_list items=(\d+) unique=(\d+) pages=(\d+)')


def parse_reported(text):
    """``(items, unique ids, pages)`` that the play printed, or ``(None, None, None)``."""
    found = REPORTED.search(text)
    if not found:
        return None, None, None
    return tuple(int(value) for value in found.groups())


def run_once(workspace, scenario, users, page_size, round_number):
    """One ansible-playbook run against a freshly reset emulator (reset re-seeds the users); return its record."""
    emulator = workspace.emulator
    emulator.reset()
    command = [ansible_playbook_path(), '-i', workspace.inventory(1), PLAYS[scenario],
               '-e', 'bench_page_size=%d' % page_size, '-e', 'bench_expected_users=%d' % users]
    if scenario == 'u':
        command += ['-e', '@' + workspace.extra_vars]  # the URL and the credentials: a file, not argv
    load_before = os.getloadavg()[0]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    with open(workspace.log_path, 'w', encoding='utf-8') as output:
        process = subprocess.run(command, cwd=workspace.path, env=workspace.env('v2'), stdout=output,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=3600, check=False)
    wall = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = emulator.stats()
    with open(workspace.log_path, encoding='utf-8', errors='replace') as handle:
        text = handle.read()
    items, unique, pages = parse_reported(text)
    record = {'scenario': scenario, 'round': round_number, 'users': users, 'page_size': page_size,
              'rc': process.returncode, 'wall_s': round(wall, 4),
              'cpu_s': round((after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime), 4),
              'exchanges': stats['exchanges'], 'api_requests': stats['api_requests'], 'api_get': stats['api_get'],
              'api_200': stats['api_200'], 'api_429': stats['api_429'],
              'items': items, 'unique_ids': unique, 'pages': pages,
              'secret_in_output': emulator.client_secret in text, 'loadavg_1m_before': round(load_before, 2)}
    if process.returncode != 0:
        record['output_tail'] = text[-3000:].replace(emulator.client_secret, '********')
    return record


def ratios(runs, field='wall_s'):
    """Per round, (u) over (m) of the same round, in round order; a round without both is left out."""
    by_round = {}
    for record in runs:
        by_round.setdefault(record['round'], {})[record['scenario']] = record[field]
    return [pair['u'] / pair['m'] for _round, pair in sorted(by_round.items()) if 'u' in pair and 'm' in pair]


def _median(values, digits=3):
    return round(statistics.median(values), digits) if values else None


def summary(results):
    """Medians per scenario, the distinct counts, and the u/m ratios per round with their medians."""
    runs = results['runs']
    scenarios = {}
    for scenario in SCENARIOS:
        mine = [record for record in runs if record['scenario'] == scenario]
        if not mine:
            continue
        scenarios[scenario] = {
            'runs': len(mine),
            'median_wall_s': _median([r['wall_s'] for r in mine], 2),
            'median_cpu_s': _median([r['cpu_s'] for r in mine], 2),
            'wall_s': [r['wall_s'] for r in mine],
            'exchanges': sorted({r['exchanges'] for r in mine}),
            'api_requests': sorted({r['api_requests'] for r in mine}),
            'api_get': sorted({r['api_get'] for r in mine}),
            'api_429': sorted({r['api_429'] for r in mine}),
            'items': sorted({r['items'] for r in mine}, key=lambda value: (value is None, value or 0)),
            'pages': sorted({r['pages'] for r in mine}, key=lambda value: (value is None, value or 0)),
        }
    wall, cpu = ratios(runs), ratios(runs, 'cpu_s')
    return {'scenarios': scenarios, 'wall_ratios': [round(r, 3) for r in wall], 'median_wall_ratio': _median(wall),
            'cpu_ratios': [round(r, 3) for r in cpu], 'median_cpu_ratio': _median(cpu)}


def checks(results):
    """The problems that make ``--check`` fail: a failed run or one that printed the secret, a list that is not
    every user once, more than one token exchange in a run."""
    users = results['meta']['users']
    found = []
    for record in results['runs']:
        name = '(%s) round %d' % (record['scenario'], record['round'])
        if record['rc'] != 0:
            found.append('%s exited %d' % (name, record['rc']))
        if record['secret_in_output']:
            found.append('%s printed the client secret' % name)
        if record['items'] != users or record['unique_ids'] != users:
            found.append('%s listed %s users (%s distinct ids), not %d'
                         % (name, record['items'], record['unique_ids'], users))
        if record['exchanges'] > 1:
            found.append('%s made %d token exchanges, not 1' % (name, record['exchanges']))
    return found


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--users', type=int, default=10000, help='users the emulator seeds (default: %(default)s)')
    parser.add_argument('--page-size', type=int, default=100, help='users per page (default: %(default)s)')
    parser.add_argument('--rounds', type=int, default=3, help='interleaved (m, u) rounds (default: %(default)s)')
    parser.add_argument('--json', help='write the results here (the committed ones: %s)'
                                       % os.path.relpath(DEFAULT_JSON, os.path.dirname(HERE)))
    parser.add_argument('--check', action='store_true',
                        help='exit 1 on a failed run, a wrong user count or more than one token exchange in a run')
    args = parser.parse_args(argv)
    if args.users < 1 or args.users > 100000:
        parser.error('--users takes 1 to 100000 (what the emulator seeds)')
    if not 1 <= args.page_size <= 1000:
        parser.error('--page-size takes 1 to 1000 (OneLogin\'s limit)')
    if args.rounds < 1:
        parser.error('--rounds must be at least 1')
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    import ansible.release
    ansible_playbook_path()
    results = {'format': FORMAT, 'runs': [], 'meta': {
        'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), 'collection_revision': git_revision(),
        'command': 'python benchmarks/api_list.py ' + ' '.join(argv),
        'ansible_core': ansible.release.__version__, 'python': sys.version.split()[0], 'machine': machine_info(),
        'users': args.users, 'page_size': args.page_size, 'rounds': args.rounds, 'scenarios': DESCRIPTIONS,
        'loadavg_at_start': [round(value, 2) for value in os.getloadavg()]}}
    began = time.perf_counter()
    emulator = Emulator(max_runtime=3 * 3600, args=['--users', str(args.users)])
    workspace = Workspace(emulator)
    try:
        for round_number in range(1, args.rounds + 1):
            for scenario in SCENARIOS:
                record = run_once(workspace, scenario, args.users, args.page_size, round_number)
                results['runs'].append(record)
                log('(%s) round %d: %.2f s wall, %.2f s CPU, %d exchange(s), %d API request(s), %s users%s' % (
                    scenario, round_number, record['wall_s'], record['cpu_s'], record['exchanges'],
                    record['api_requests'], record['items'],
                    '' if record['rc'] == 0 else ' FAILED rc=%d' % record['rc']))
    finally:
        emulator.stop()
        workspace.close()
    results['meta']['duration_s'] = round(time.perf_counter() - began, 1)
    results['meta']['loadavg_at_end'] = [round(value, 2) for value in os.getloadavg()]
    results['summary'] = summary(results)
    results['problems'] = checks(results)
    if args.json:
        write_json(args.json, results)
    for scenario, line in sorted(results['summary']['scenarios'].items()):
        log('(%s): median %.2f s wall, %.2f s CPU; exchanges %s, API requests %s, users %s' % (
            scenario, line['median_wall_s'], line['median_cpu_s'], line['exchanges'], line['api_requests'],
            line['items']))
    if results['summary']['median_wall_ratio'] is not None:
        log('u/m wall per round %s, median %.3f (CPU %.3f)' % (
            results['summary']['wall_ratios'], results['summary']['median_wall_ratio'],
            results['summary']['median_cpu_ratio']))
    for problem in results['problems']:
        log('PROBLEM: ' + problem)
    return 1 if args.check and results['problems'] else 0


if __name__ == '__main__':
    sys.exit(main())
