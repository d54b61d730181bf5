# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: the cold lookup. A play that uses only the lookup, beside the same play with a trivial lookup.

Every (host, task) runs in a freshly forked worker, and each worker loads the lookup afresh. In a play
that uses only the lookup, with light tasks, that load is most of what the lookup costs. This driver
runs benchmarks/playbooks/lookup_only.yml.in (one set_fact task evaluating the lookup 10 times per
host) on N local hosts with:

  (o) lookup('sso.onelogin.onelogin_token')
  (t) lookup('bench.trivial.constant'), a trivial lookup in a collection of its own
      (benchmarks/collections): what loading any collection lookup costs
  (f) lookup('bench.trivial.mint_once'), from the same collection: one token exchange per run with requests
      under a file lock, then a read of the token file; no option, check or error handling: the job's floor

interleaved (o, t, f, o, t, f, ...), and takes the ratios o/t and f/t per round. With ``--cache persistent`` the
token is cached before the timed rounds, so (o) makes no exchange at all; with ``--cache run`` it
makes exactly one per run. The target (issue 13): median o/t <= 1.08 at 40 hosts, 10 forks, 5 rounds; f/t shows how much of
that any lookup doing the job pays.

``--bytecode on`` (the default) runs the plays as Python runs by default: bytecode is written to ``__pycache__`` and
used, whatever ``PYTHONDONTWRITEBYTECODE`` says in the caller's environment, after one untimed run of each scenario
that writes it. ``--bytecode off`` sets ``PYTHONDONTWRITEBYTECODE=1`` and first removes the ``__pycache__`` folders
of the plugins of both collections, so that every worker compiles them from source.

Usage: python benchmarks/cold_lookup.py [--hosts 40] [--forks 10] [--rounds 5] [--cache run,persistent]
       [--bytecode on|off] [--json benchmarks/results/cold_lookup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from run import Emulator, Workspace, ansible_playbook_path, git_revision, log, machine_info, write_json  # noqa: E402

TRIVIAL_COLLECTIONS = os.path.join(HERE, 'collections')
PLAY = os.path.join(HERE, 'playbooks', 'lookup_only.yml.in')
LOOKUPS = {'o': 'sso.onelogin.onelogin_token', 't': 'bench.trivial.constant', 'f': 'bench.trivial.mint_once'}
SCENARIOS = ('o', 't', 'f')
FORMAT = 'sso.onelogin/cold-lookup/2'
TARGET_RATIO = 1.08
DEFAULT_JSON = os.path.join(HERE, 'results', 'cold_lookup.json')


def render(workspace, scenario):
    path = os.path.join(workspace.path, 'lookup-only-%s.yml' % scenario)
    with open(PLAY, encoding='utf-8') as handle:
        text = handle.read().replace('@LOOKUP@', LOOKUPS[scenario])
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    return path


def environment(workspace, cache, bytecode='on'):
    env = workspace.env('v2')
    env['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join((workspace.collections, TRIVIAL_COLLECTIONS))
    env['ONELOGIN_CACHE'] = cache
    env['ONELOGIN_CACHE_DIR'] = os.path.join(workspace.path, 'persistent-tokens')
    if bytecode == 'on':
        env.pop('PYTHONDONTWRITEBYTECODE', None)
    else:
        env['PYTHONDONTWRITEBYTECODE'] = '1'
    return env


def remove_plugin_bytecode():
    """Remove the ``__pycache__`` folders of both collections' plugins (for ``--bytecode off``)."""
    for top in (os.path.join(os.path.dirname(HERE), 'plugins'), TRIVIAL_COLLECTIONS):
        for folder, subfolders, _files in os.walk(top):
            if '__pycache__' in subfolders:
                shutil.rmtree(os.path.join(folder, '__pycache__'))
                subfolders.remove('__pycache__')


def run_once(workspace, scenario, cache, hosts, forks, round_number, bytecode='on'):
    workspace.emulator.reset()
    command = [ansible_playbook_path(), '-i', workspace.inventory(hosts), '--forks', str(forks),
               render(workspace, scenario)]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    with open(workspace.log_path, 'w', encoding='utf-8') as output:
        process = subprocess.run(command, cwd=workspace.path, env=environment(workspace, cache, bytecode), stdout=output,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=1800, check=False)
    wall = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = workspace.emulator.stats()
    with open(workspace.log_path, encoding='utf-8', errors='replace') as handle:
        text = handle.read()
    record = {'scenario': scenario, 'cache': cache, 'hosts': hosts, 'forks': forks, 'round': round_number,
              'rc': process.returncode, 'wall_s': round(wall, 4),
              'cpu_s': round((after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime), 4),
              'exchanges': stats['exchanges'], 'secret_in_output': workspace.emulator.client_secret in text}
    if process.returncode != 0:
        record['output_tail'] = text[-3000:].replace(workspace.emulator.client_secret, '********')
    return record


def ratios(runs, cache, field='wall_s', scenario='o', against='t'):
    """Per round, ``scenario`` over ``against`` of the same round."""
    by_round = {}
    for record in runs:
        if record['cache'] == cache:
            by_round.setdefault(record['round'], {})[record['scenario']] = record[field]
    return [pair[scenario] / pair[against] for _round, pair in sorted(by_round.items())
            if scenario in pair and against in pair]


BLOCK = 5  # the measure: the median of 5 interleaved rounds


def block_medians(values):
    """The median of each run of BLOCK consecutive rounds (whole blocks only): how much a 5-round result varies."""
    return [_median(values[start:start + BLOCK]) for start in range(0, len(values) - BLOCK + 1, BLOCK)]


def summary(results):
    lines = []
    for cache in results['meta']['caches']:
        wall, cpu = ratios(results['runs'], cache), ratios(results['runs'], cache, 'cpu_s')
        if wall:
            lines.append({'cache': cache, 'wall_ratios': [round(r, 3) for r in wall],
                          'median_wall_ratio': round(statistics.median(wall), 3),
                          'median_cpu_ratio': round(statistics.median(cpu), 3),
                          'floor_wall_ratios': [round(r, 3) for r in ratios(results['runs'], cache, scenario='f')],
                          'median_floor_ratio': _median(ratios(results['runs'], cache, scenario='f')),
                          # o/f in the same round: what this lookup costs beyond the least a minting lookup does
                          'median_vs_floor': _median(ratios(results['runs'], cache, against='f')),
                          'block_medians': block_medians(wall),
                          'exchanges_per_run': sorted({r['exchanges'] for r in results['runs']
                                                       if r['cache'] == cache and r['scenario'] == 'o'}),
                          'met': statistics.median(wall) <= TARGET_RATIO})
    return lines


def _median(values):
    return round(statistics.median(values), 3) if values else None


def checks(results):
    found = []
    for record in results['runs']:
        if record['rc'] != 0 or record['secret_in_output']:
            found.append('run failed or printed the secret: %s' % json.dumps({k: record[k] for k in (
                'scenario', 'cache', 'round', 'rc', 'secret_in_output')}))
        expected = 1 if record['scenario'] in ('o', 'f') and record['cache'] == 'run' else 0
        if record['exchanges'] != expected:
            found.append('(%s) cache=%s round %d made %d exchanges, not %d'
                         % (record['scenario'], record['cache'], record['round'], record['exchanges'], expected))
    return found


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--hosts', type=int, default=40)
    parser.add_argument('--forks', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=5, help='interleaved (o, t, f) rounds per cache mode')
    parser.add_argument('--cache', default='run,persistent', help='cache modes to measure: run, persistent or both')
    parser.add_argument('--bytecode', choices=('on', 'off'), default='on',
                        help='on: Python writes and uses bytecode, as by default; off: every worker compiles from source')
    parser.add_argument('--json', help='write the results here (the committed ones: %s)'
                                       % os.path.relpath(DEFAULT_JSON, os.path.dirname(HERE)))
    parser.add_argument('--check', action='store_true', help='exit 1 on a failed run or a wrong exchange count')
    args = parser.parse_args(argv)
    args.caches = [part.strip() for part in args.cache.split(',') if part.strip()]
    if not args.caches or any(cache not in ('run', 'persistent') for cache in args.caches):
        parser.error('--cache takes run, persistent or run,persistent')
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import ansible.release
    results = {'format': FORMAT, 'runs': [], 'meta': {
        'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), 'collection_revision': git_revision(),
        'ansible_core': ansible.release.__version__, 'python': sys.version.split()[0], 'machine': machine_info(),
        'hosts': args.hosts, 'forks': args.forks, 'rounds': args.rounds, 'caches': args.caches,
        'lookups_per_host': 10, 'target_ratio': TARGET_RATIO, 'bytecode': args.bytecode}}
    if args.bytecode == 'off':
        remove_plugin_bytecode()
    emulator = Emulator(max_runtime=3 * 3600)
    workspace = Workspace(emulator)
    try:
        for cache in args.caches:
            # Untimed: the bytecode is written (--bytecode on), and the persistent folder holds the tokens.
            for scenario in SCENARIOS:
                warm = run_once(workspace, scenario, cache, 1, 1, 0, args.bytecode)
                if warm['rc'] != 0:
                    raise SystemExit('the warm-up run failed: %s' % warm.get('output_tail'))
            for round_number in range(1, args.rounds + 1):
                for scenario in SCENARIOS:
                    record = run_once(workspace, scenario, cache, args.hosts, args.forks, round_number, args.bytecode)
                    results['runs'].append(record)
                    log('(%s) cache=%s round %d: %.2f s wall, %.2f s CPU, %d exchange(s)%s' % (
                        scenario, cache, round_number, record['wall_s'], record['cpu_s'], record['exchanges'],
                        '' if record['rc'] == 0 else ' FAILED rc=%d' % record['rc']))
    finally:
        emulator.stop()
        workspace.close()
    results['summary'] = summary(results)
    results['problems'] = checks(results)
    if args.json:
        write_json(args.json, results)
    for line in results['summary']:
        log('cache=%s: o/t wall per round %s, median %.3f (CPU %.3f), target <= %.2f: %s; medians of 5 rounds %s; '
            'the floor f/t: %s; o/f: %s' % (
                line['cache'], line['wall_ratios'], line['median_wall_ratio'], line['median_cpu_ratio'], TARGET_RATIO,
                'met' if line['met'] else 'NOT met', line['block_medians'], line['median_floor_ratio'],
                line['median_vs_floor']))
    for problem in results['problems']:
        log('PROBLEM: ' + problem)
    return 1 if args.check and results['problems'] else 0


if __name__ == '__main__':
    sys.exit(main())
