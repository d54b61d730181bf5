# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: token exchanges and overhead of the collection at scale, beside the per-host ``uri`` approach.

Against the bundled emulator (started here as a process, reset before every run), with real
``ansible-playbook`` runs on N local hosts:

  (a) what users write today: per host, an ``ansible.builtin.uri`` POST to the token endpoint, the
      token passed on by ``register``, then an API call;
  (b) the collection: the module on every host, N lookup evaluations per host, the same API call;
  (c) as (b) with each lookup replaced by ``lookup('ansible.builtin.env', ...)``, the floor of any lookup;
  (d) as (b) with a static variable, for reference.

(b) and (c) run interleaved (b, c, b, c, ...) and the ratio b/c is taken per pair: on a noisy
machine only ratios taken side by side mean something. Also measured in-process (benchmarks/micro.py):
p50/p95 of one cached lookup call, and the first call of a cold process (what each forked worker pays).

Usage (see docs/performance.md):
  python benchmarks/run.py --sizes full --check               # the whole matrix; writes docs/performance.md
  python benchmarks/run.py --sizes smoke --pairs 1 --check    # smallest size only (CI smoke test)
  python benchmarks/run.py --report-only                      # regenerate the report from the JSON

Two smaller drivers write their own results, which the report renders as sections of their own:
  python benchmarks/cold_lookup.py --json benchmarks/results/cold_lookup.json   # a lookup-only play, cold
  python benchmarks/api_list.py --json benchmarks/results/api_list.json --check  # 10,000 users: onelogin_api vs uri

Needs only the standard library and ansible-core at run time; matplotlib only to draw the charts.
``ansible-playbook`` is taken from the environment of the Python running this script.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PLAYBOOKS = os.path.join(HERE, 'playbooks')
EMULATOR = os.path.join(ROOT, 'tests', 'emulator', 'onelogin_emulator.py')
COUNTER = os.path.join(HERE, 'lookup_counter.py')
MICRO = os.path.join(HERE, 'micro.py')
DEFAULT_JSON = os.path.join(HERE, 'results', 'performance.json')

FORMAT = 'sso.onelogin/benchmark/1'

SIZES = {
    'smoke': {'hosts': [1], 'forks': [5], 'lookups': [1], 'token_api': ['v1', 'v2']},
    'full': {'hosts': [1, 10, 50, 200], 'forks': [5, 50], 'lookups': [1, 10], 'token_api': ['v1', 'v2']},
}

SCENARIOS = {
    'a': 'per-host ansible.builtin.uri token POST, register, API call',
    'b': 'module on every host + N x lookup(sso.onelogin.onelogin_token), API call',
    'c': 'as (b), each lookup replaced by lookup(ansible.builtin.env)',
    'd': 'as (b), each lookup replaced by a static variable',
}
EXPRESSIONS = {
    'b': "lookup('sso.onelogin.onelogin_token')",
    'c': "lookup('ansible.builtin.env', 'BENCH_VALUE')",
    'd': 'bench_static_value',
}
LOOKUP_PLUGINS = {'b': 'sso.onelogin.onelogin_token', 'c': 'ansible.builtin.env'}
# What (c) reads from the environment and (d) holds: not a secret, as long as a token (64 characters).
PLAIN_VALUE = 'benchmark-value-' + '0123456789abcdef' * 3
# Hosts of the untimed verification runs that count the lookup calls.
VERIFY_HOSTS = 2

TARGET_RATIO = 1.05
TARGET_P50_MS = 2.0
TARGET_SIZE = {'hosts': 200, 'lookups': 10}
# A timed run of (b), (c) or (d) slower than this many times the median of those runs at its size: an outlier.
OUTLIER_FACTOR = 2.0


def log(message):
    sys.stderr.write(message + '\n')
    sys.stderr.flush()


class Emulator:
    """The bundled OneLogin emulator in a process of its own, with throwaway credentials."""

    def __init__(self, max_runtime, args=()):
        """``args``: more emulator options, such as ``['--users', '10000']``."""
        self.client_id = 'bench-' + secrets.token_hex(6)
        self.client_secret = 'bench-secret-' + secrets.token_hex(24)
        env = dict(os.environ, ONELOGIN_CLIENT_ID=self.client_id, ONELOGIN_CLIENT_SECRET=self.client_secret)
        self.process = subprocess.Popen(
            [sys.executable, EMULATOR, '--max-runtime', str(int(max_runtime))] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env, text=True)
        self.url = self.process.stdout.readline().strip()  # printed once it listens: no polling
        if not self.url.startswith('http://127.0.0.1:'):
            self.stop()
            raise RuntimeError('the emulator did not start')

    def _call(self, method, path):
        request = urllib.request.Request(self.url + path, method=method, data=b'' if method == 'POST' else None)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
        with opener.open(request, timeout=30) as answer:
            return json.loads(answer.read().decode('utf-8'))

    def stats(self):
        return self._call('GET', '/__emulator__/stats')

    def reset(self):
        self._call('POST', '/__emulator__/reset')

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


def galaxy_name():
    """The collection's namespace and name, from galaxy.yml (PyYAML comes with ansible-core)."""
    import yaml
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        meta = yaml.safe_load(handle)
    return meta['namespace'], meta['name']


class Workspace:
    """A scratch folder: the collection as Ansible finds it, ansible.cfg, inventories and the rendered plays."""

    def __init__(self, emulator, keep=False):
        self.emulator = emulator
        self.keep = keep
        self.path = tempfile.mkdtemp(prefix='sso-onelogin-bench-')
        namespace, name = galaxy_name()
        self.collections = os.path.join(self.path, 'collections')
        os.makedirs(os.path.join(self.collections, 'ansible_collections', namespace))
        os.symlink(ROOT, os.path.join(self.collections, 'ansible_collections', namespace, name))
        self.local_tmp = os.path.join(self.path, 'local-tmp')
        os.mkdir(self.local_tmp, 0o700)
        self.config = os.path.join(self.path, 'ansible.cfg')
        with open(self.config, 'w', encoding='utf-8') as handle:
            handle.write('[defaults]\nretry_files_enabled = false\n')
        self.log_path = os.path.join(self.path, 'run.log')
        self.extra_vars = os.path.join(self.path, 'uri-vars.json')  # (a): a file, so the secret is not on argv
        fd = os.open(self.extra_vars, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            json.dump({'bench_api_url': emulator.url, 'bench_client_id': emulator.client_id,
                       'bench_client_secret': emulator.client_secret}, handle)
        self._inventories = {}
        self._plays = {}

    def env(self, token_api):
        env = {name: value for name, value in os.environ.items() if not name.startswith(('ONELOGIN_', 'ANSIBLE_'))}
        env.update(
            ANSIBLE_CONFIG=self.config, ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_LOCAL_TEMP=self.local_tmp,
            ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', NO_PROXY='127.0.0.1,localhost', no_proxy='127.0.0.1,localhost',
            ONELOGIN_API_URL=self.emulator.url, ONELOGIN_CLIENT_ID=self.emulator.client_id,
            ONELOGIN_CLIENT_SECRET=self.emulator.client_secret, ONELOGIN_TOKEN_API=token_api,
            BENCH_VALUE=PLAIN_VALUE)
        return env

    def inventory(self, hosts):
        if hosts not in self._inventories:
            path = os.path.join(self.path, 'inventory-%d.ini' % hosts)
            names = '\n'.join('node%03d' % number for number in range(1, hosts + 1))
            with open(path, 'w', encoding='utf-8') as handle:
                handle.write('[all]\n%s\n\n[all:vars]\nansible_connection=local\n'
                             'ansible_python_interpreter="{{ ansible_playbook_python }}"\n' % names)
            self._inventories[hosts] = path
        return self._inventories[hosts]

    def playbook(self, scenario, lookups, token_api):
        if scenario == 'a':
            return os.path.join(PLAYBOOKS, 'a_uri_%s.yml' % token_api)
        key = (scenario, lookups)
        if key not in self._plays:
            self._plays[key] = os.path.join(self.path, 'scenario-%s-%d.yml' % key)
            with open(self._plays[key], 'w', encoding='utf-8') as handle:
                handle.write(render_play(scenario, lookups))
        return self._plays[key]

    def close(self):
        if self.keep:
            log('Work folder kept: %s' % self.path)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


def render_play(scenario, lookups):
    """The play of scenario b, c or d: one text, only the evaluated expression differs."""
    with open(os.path.join(PLAYBOOKS, 'collection.yml.in'), encoding='utf-8') as handle:
        text = handle.read()
    names = ['bench_value_%02d' % number for number in range(1, lookups + 1)]
    variables = '\n'.join('        %s: "{{ %s }}"' % (name, EXPRESSIONS[scenario]) for name in names)
    for placeholder, value in (('@VARIABLES@', variables), ('@LIST@', ', '.join(names)),
                               ('@SCENARIO@', scenario), ('@LOOKUPS@', str(lookups)), ('@STATIC@', PLAIN_VALUE)):
        text = text.replace(placeholder, value)
    return text


def ansible_playbook_path():
    path = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    if not os.path.exists(path):
        raise SystemExit('ansible-playbook was not found next to %s: run this script with the Python of an '
                         'environment that has ansible-core (for example: bash tests/utils/bench.sh).' % sys.executable)
    return path


def run_playbook(workspace, scenario, token_api, hosts, forks, lookups, pair=None, count_lookups=False):
    """One ansible-playbook run against a freshly reset emulator; return its record."""
    emulator = workspace.emulator
    emulator.reset()
    arguments = ['-i', workspace.inventory(hosts), '--forks', str(forks), workspace.playbook(scenario, lookups, token_api)]
    if scenario == 'a':
        arguments += ['-e', '@' + workspace.extra_vars]
    count_file = None
    if count_lookups:
        count_file = os.path.join(workspace.path, 'lookup-calls.txt')
        if os.path.exists(count_file):
            os.unlink(count_file)
        command = [sys.executable, COUNTER, count_file] + arguments
    else:
        command = [ansible_playbook_path()] + arguments
    load_before = os.getloadavg()[0]
    started = time.time()
    with open(workspace.log_path, 'w', encoding='utf-8') as output:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        begin = time.perf_counter()
        process = subprocess.run(command, cwd=workspace.path, env=workspace.env(token_api), stdout=output,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=3600, check=False)
        wall = time.perf_counter() - begin
        # CPU time of ansible-playbook and every process it waited for (workers, modules): less sensitive
        # than wall time to what else the machine runs.
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    stats = emulator.stats()
    with open(workspace.log_path, encoding='utf-8', errors='replace') as handle:
        text = handle.read()
    record = {
        'scenario': scenario, 'token_api': token_api, 'hosts': hosts, 'forks': forks,
        'lookups': None if scenario == 'a' else lookups, 'pair': pair,
        'wall_s': round(wall, 4), 'cpu_s': round(cpu, 4), 'rc': process.returncode,
        'exchanges': stats['exchanges'], 'exchanges_ok': stats['exchanges_ok'], 'tokens_minted': stats['tokens_minted'],
        'api_200': stats['api_200'], 'api_401': stats['api_401'],
        'secret_in_output': emulator.client_secret in text,
        'loadavg_1m_before': round(load_before, 2), 'started_at': round(started, 3),
    }
    if count_file is not None:
        from lookup_counter import read_counts
        record['lookup_calls'] = read_counts(count_file)
    if process.returncode != 0:
        record['output_tail'] = text[-3000:].replace(emulator.client_secret, '********')
    return record


def describe(record):
    parts = ['(%s) %s hosts=%d forks=%d' % (record['scenario'], record['token_api'], record['hosts'], record['forks'])]
    if record['lookups'] is not None:
        parts.append('lookups=%d' % record['lookups'])
    if record['pair'] is not None:
        parts.append('pair=%d' % record['pair'])
    parts.append(': %.2f s (CPU %.2f s), exchanges=%d, 200=%d, 401=%d' % (
        record['wall_s'], record.get('cpu_s', 0), record['exchanges'], record['api_200'], record['api_401']))
    if 'lookup_calls' in record:
        parts.append(', lookup calls=%s' % json.dumps(record['lookup_calls'], sort_keys=True))
    if record['rc'] != 0:
        parts.append(' FAILED rc=%d' % record['rc'])
    return ' '.join(parts)


def plan(matrix, pairs):
    """The timed runs, in order: per (hosts, forks, token_api): (a), then per lookups: (d), then b, c pairs."""
    steps = []
    for hosts in matrix['hosts']:
        for forks in matrix['forks']:
            for token_api in matrix['token_api']:
                steps.append(('a', token_api, hosts, forks, matrix['lookups'][0], None))
                for lookups in matrix['lookups']:
                    steps.append(('d', token_api, hosts, forks, lookups, None))
                    for pair in range(1, pairs + 1):
                        steps.append(('b', token_api, hosts, forks, lookups, pair))
                        steps.append(('c', token_api, hosts, forks, lookups, pair))
    return steps


def run_key(scenario, token_api, hosts, forks, lookups, pair):
    return (scenario, token_api, hosts, forks, None if scenario == 'a' else lookups, pair)


def record_key(record):
    return (record['scenario'], record['token_api'], record['hosts'], record['forks'], record['lookups'], record['pair'])


def verification_runs(workspace, matrix, results, save):
    """Untimed runs that count the lookup calls of (b), (c) and (d): proof that N evaluations really happen."""
    hosts = min(VERIFY_HOSTS, max(matrix['hosts']))
    forks = min(matrix['forks'])
    token_api = matrix['token_api'][0]
    for lookups in matrix['lookups']:
        for scenario in ('b', 'c', 'd'):
            record = run_playbook(workspace, scenario, token_api, hosts, forks, lookups, count_lookups=True)
            results['verification'].append(record)
            log('verify ' + describe(record))
            save()


def _first_value(path, prefix, separator):
    """The text after ``separator`` on the first line of ``path`` that starts with ``prefix``, or None."""
    try:
        with open(path, encoding='utf-8') as handle:
            for line in handle:
                if line.startswith(prefix):
                    return line.split(separator, 1)[1].strip()
    except OSError:
        pass
    return None


def machine_info():
    info = {'platform': platform.platform(), 'machine': platform.machine(), 'cores': os.cpu_count()}
    cpu = _first_value('/proc/cpuinfo', 'model name', ':')
    if cpu:
        info['cpu'] = cpu
    memory = _first_value('/proc/meminfo', 'MemTotal:', ':')
    if memory:
        info['ram_gib'] = round(int(memory.split()[0]) / 1024 / 1024, 1)
    system = _first_value('/etc/os-release', 'PRETTY_NAME=', '=')
    if system:
        info['os'] = system.strip('"')
    return info


def git_revision():
    try:
        head = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True, text=True, check=True,
                              timeout=30).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'plugins'], cwd=ROOT, capture_output=True,
                               text=True, check=True, timeout=30).stdout.strip()
        return head + ('+modified-plugins' if dirty else '')
    except (OSError, subprocess.SubprocessError):
        return None


def metadata(argv, matrix, pairs, sizes):
    from ansible.release import __version__ as ansible_version
    return {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'command': 'python benchmarks/run.py ' + ' '.join(argv),
        'sizes': sizes, 'matrix': matrix, 'pairs': pairs,
        'machine': machine_info(),
        'python': platform.python_version(), 'ansible_core': ansible_version,
        'collection_revision': git_revision(),
        'loadavg_at_start': [round(value, 2) for value in os.getloadavg()],
    }


def run_micro(workspace, calls, repeats, profile_dir=None):
    """In-process numbers (benchmarks/micro.py), each phase in a new Python process."""
    run_dir = os.path.join(workspace.path, 'micro-run')
    os.mkdir(run_dir, 0o700)  # stands for the run's private temp dir that ansible-playbook makes
    workspace.emulator.reset()
    env = workspace.env('v2')

    def phase(mode, number=1):
        command = [sys.executable, MICRO, '--mode', mode, '--run-dir', run_dir, '--calls', str(calls)]
        if profile_dir:
            os.makedirs(profile_dir, exist_ok=True)
            command += ['--profile', os.path.join(os.path.abspath(profile_dir), 'micro-%s-%d.txt' % (mode, number))]
        answer = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        if answer.returncode != 0:
            raise RuntimeError('micro benchmark %s failed: %s' % (mode, answer.stderr[-2000:].replace(
                workspace.emulator.client_secret, '********')))
        return json.loads(answer.stdout)

    micro = {'calls': calls, 'repeats': repeats}
    micro['cold_mint'] = phase('cold-mint')
    micro['exchanges_after_mint'] = workspace.emulator.stats()['exchanges']
    micro['cold_cached'], micro['cold_env'] = [], []
    for number in range(1, repeats + 1):  # interleaved, like the playbook pairs
        micro['cold_cached'].append(phase('cold-cached', number))
        micro['cold_env'].append(phase('cold-env', number))
    micro['warm'] = phase('warm')
    micro['exchanges_total'] = workspace.emulator.stats()['exchanges']
    return micro


# -- analysis -------------------------------------------------------------------------------------

def timed_runs(results, scenario=None):
    return [r for r in results['runs'] if scenario is None or r['scenario'] == scenario]


def counted_runs(results):
    """The runs that counted their lookup calls: the verification runs, or (smoke) the timed runs themselves."""
    return results.get('verification', []) + [r for r in results['runs'] if 'lookup_calls' in r]


def size_key(record):
    """``(token_api, hosts, forks, lookups)`` of a run."""
    return (record['token_api'], record['hosts'], record['forks'], record['lookups'])


def outliers(results):
    """The timed runs of (b), (c) and (d) that took over OUTLIER_FACTOR times the median wall time of those
    runs at their size, as ``{(size key, scenario, pair): record}``.

    (b), (c) and (d) run one play text that differs only in the expression evaluated, and their wall times at
    one size stay within a few percent of each other. A run many times slower than its siblings was slowed
    by something other than what is compared, and it alone would swing its pair's ratio.
    """
    by_key = {}
    for record in timed_runs(results):
        if record['scenario'] in ('b', 'c', 'd') and record['rc'] == 0:
            by_key.setdefault(size_key(record), []).append(record)
    found = {}
    for key, records in by_key.items():
        if len(records) < 3:
            continue
        median = statistics.median(r['wall_s'] for r in records)
        for record in records:
            if record['wall_s'] > OUTLIER_FACTOR * median:
                found[(key, record['scenario'], record['pair'])] = dict(record, sibling_median_wall_s=median)
    return found


def outlier_pairs(results):
    """``{size key: {pair numbers}}``: the (b, c) pairs that hold an outlier run."""
    pairs = {}
    for key, scenario, pair in outliers(results):
        if scenario in ('b', 'c'):
            pairs.setdefault(key, set()).add(pair)
    return pairs


def ratios_by_pair(results, field='wall_s'):
    """``{(token_api, hosts, forks, lookups): {pair number: b/c}}`` of wall (or CPU) time."""
    by_key = {}
    for record in timed_runs(results):
        if record['scenario'] in ('b', 'c') and record['rc'] == 0 and field in record:
            by_key.setdefault(size_key(record), {}).setdefault(record['pair'], {})[record['scenario']] = record[field]
    return {key: {pair: round(times['b'] / times['c'], 4) for pair, times in pairs.items()
                  if 'b' in times and 'c' in times and times['c'] > 0}
            for key, pairs in by_key.items()}


def pair_ratios(results, field='wall_s', without_outliers=False):
    """``{(token_api, hosts, forks, lookups): [b/c of pair 1, pair 2, ...]}`` of wall (or CPU) time.

    ``without_outliers``: leave out the pairs that hold an outlier run (see :func:`outliers`).
    """
    skip = outlier_pairs(results) if without_outliers else {}
    return {key: [ratio for pair, ratio in sorted(pairs.items()) if pair not in skip.get(key, ())]
            for key, pairs in ratios_by_pair(results, field).items()}


def checks(results):
    """The correctness checks of ``--check``: list of ``(ok, text)``."""
    found = []
    runs = timed_runs(results) + results.get('verification', [])
    for record in runs:
        where = describe(record)
        if record['rc'] != 0:
            found.append((False, 'ansible-playbook failed: ' + where))
        if record['secret_in_output']:
            found.append((False, 'the client secret appeared in the output: ' + where))
        if record['scenario'] == 'b' and record['exchanges'] != 1:
            found.append((False, '(b) made %d token exchanges, not 1: %s' % (record['exchanges'], where)))
        if record['scenario'] in ('b', 'c', 'd') and record['api_401']:
            found.append((False, '(%s) got %d x 401: %s' % (record['scenario'], record['api_401'], where)))
        if record['scenario'] in ('b', 'c', 'd') and record['rc'] == 0 and record['api_200'] != record['hosts']:
            found.append((False, '(%s) answered %d API calls with 200, not one per host: %s'
                          % (record['scenario'], record['api_200'], where)))
    for record in counted_runs(results):
        expected = {}
        if record['scenario'] in LOOKUP_PLUGINS:
            expected[LOOKUP_PLUGINS[record['scenario']]] = record['hosts'] * record['lookups']
        got = {name: calls for name, calls in record['lookup_calls'].items() if name in LOOKUP_PLUGINS.values()}
        if got != expected:
            found.append((False, 'lookup calls %s, expected %s: %s' % (got, expected, describe(record))))
    micro = results.get('micro')
    if micro and micro.get('exchanges_total') != 1:
        found.append((False, 'the micro benchmark made %s token exchanges, not 1' % micro.get('exchanges_total')))
    b_runs = len([r for r in runs if r['scenario'] == 'b'])
    if all(check[0] for check in found) and b_runs:
        found.append((True, '(b) made exactly 1 token exchange in each of its %d runs (timed and lookup-counting), '
                            'with 0 x 401 in (b), (c) and (d); every run exited 0; no secret in any output' % b_runs))
    elif all(check[0] for check in found):
        found.append((True, 'no playbook runs to check'))
    return found


# -- main -----------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--sizes', choices=sorted(SIZES), default='full',
                        help='full: hosts 1,10,50,200 x forks 5,50 x lookups 1,10 x token_api v1,v2; '
                             'smoke: 1 host, 5 forks, 1 lookup, v1 and v2 (default: %(default)s)')
    parser.add_argument('--hosts', help='override the host counts, e.g. 50 or 10,50')
    parser.add_argument('--forks', help='override the fork counts, e.g. 50')
    parser.add_argument('--lookups', help='override the lookups per host, e.g. 10')
    parser.add_argument('--token-api', help='override the token APIs: v1, v2 or v1,v2')
    parser.add_argument('--pairs', type=int, default=3, help='(b, c) pairs per size (default: %(default)s)')
    parser.add_argument('--output-dir', help='write performance.md and images/ here (default: docs for the whole '
                                             'full matrix, else nothing)')
    parser.add_argument('--json', help='raw results file (default: %s for the whole full matrix, else none)'
                                       % os.path.relpath(DEFAULT_JSON, ROOT))
    parser.add_argument('--resume', action='store_true',
                        help='keep the runs already in --json (same collection revision) and do only the missing ones')
    parser.add_argument('--check', action='store_true',
                        help='exit 1 unless (b) made exactly 1 exchange everywhere and (b), (c), (d) got no 401')
    parser.add_argument('--micro-calls', type=int, help='calls in the in-process loop (default: 2000; smoke: 300)')
    parser.add_argument('--micro-repeats', type=int, help='cold processes per kind (default: 5; smoke: 1)')
    parser.add_argument('--skip-micro', action='store_true', help='no in-process micro benchmark')
    parser.add_argument('--micro-only', action='store_true', help='only the in-process micro benchmark, no playbooks')
    parser.add_argument('--profile-dir', help='write pyinstrument profiles of the micro benchmark phases here '
                                              '(needs pyinstrument, which the bench environment has)')
    parser.add_argument('--no-verify', action='store_true', help='skip the untimed runs that count lookup calls')
    parser.add_argument('--no-charts', action='store_true', help='write the markdown without charts (no matplotlib)')
    parser.add_argument('--report-only', action='store_true', help='no runs: write the report from --json')
    parser.add_argument('--keep-workdir', action='store_true', help='keep the scratch folder (logs, rendered plays)')
    args = parser.parse_args(argv)
    matrix = {key: list(values) for key, values in SIZES[args.sizes].items()}
    for key, text, kind in (('hosts', args.hosts, int), ('forks', args.forks, int), ('lookups', args.lookups, int),
                            ('token_api', args.token_api, str)):
        if text:
            matrix[key] = [kind(part) for part in text.split(',') if part.strip()]
    if any(api not in ('v1', 'v2') for api in matrix['token_api']):
        parser.error('--token-api takes v1, v2 or v1,v2')
    if args.pairs < 1:
        parser.error('--pairs must be at least 1')
    # The committed results and report are written by default only for the whole matrix.
    full = (args.sizes == 'full' and not args.micro_only
            and not any((args.hosts, args.forks, args.lookups, args.token_api)))
    if args.json is None and full:
        args.json = DEFAULT_JSON
    if args.output_dir is None and full:
        args.output_dir = os.path.join(ROOT, 'docs')
    if args.micro_calls is None:
        args.micro_calls = 300 if args.sizes == 'smoke' else 2000
    if args.micro_repeats is None:
        args.micro_repeats = 1 if args.sizes == 'smoke' else 5
    if args.report_only and not args.json:
        parser.error('--report-only needs --json')
    return args, matrix


def write_json(path, results):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.results-', dir=directory)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
        handle.write('\n')
    os.replace(tmp, path)


def load_previous(path, revision):
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as handle:
        previous = json.load(handle)
    if previous.get('format') != FORMAT:
        raise SystemExit('%s is not a results file of this benchmark' % path)
    if previous['meta'].get('collection_revision') != revision:
        raise SystemExit('--resume: %s was measured on collection revision %s, this is %s; start afresh.'
                         % (path, previous['meta'].get('collection_revision'), revision))
    return previous


def write_report(results, args):
    if not args.output_dir:
        return
    sys.path.insert(0, HERE)
    import report
    written = report.write(results, args.output_dir, charts=not args.no_charts,
                           json_path=args.json, root=ROOT)
    for path in written:
        log('Wrote %s' % os.path.relpath(path, os.getcwd()))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args, matrix = parse_args(argv)
    if args.report_only:
        with open(args.json, encoding='utf-8') as handle:
            results = json.load(handle)
        write_report(results, args)
        return 0

    steps = plan(matrix, args.pairs)
    smoke = args.sizes == 'smoke'
    count_timed = smoke and not args.no_verify  # smoke: the timed runs count lookups (timing is not the point)
    results = {'format': FORMAT, 'meta': metadata(argv, matrix, args.pairs, args.sizes), 'runs': [],
               'verification': []}
    done = set()
    if args.resume:
        previous = load_previous(args.json, results['meta']['collection_revision'])
        if previous:
            results['runs'] = [r for r in previous['runs'] if r['rc'] == 0]
            results['verification'] = previous.get('verification', [])
            results['meta']['resumed_from'] = previous['meta']['date']
            done = {record_key(r) for r in results['runs']}

    def save():
        if args.json:
            write_json(args.json, results)

    ansible_playbook_path()
    sys.path.insert(0, HERE)
    todo = [] if args.micro_only else [step for step in steps if run_key(*step) not in done]
    log('Benchmark: %d timed ansible-playbook runs (%d already done), sizes %s, %d pair(s)'
        % (len(todo), len(steps) - len(todo), json.dumps(matrix, sort_keys=True), args.pairs))
    emulator = Emulator(max_runtime=6 * 3600)
    workspace = Workspace(emulator, keep=args.keep_workdir)
    began = time.perf_counter()
    try:
        if not args.no_verify and not count_timed and not results['verification'] and not args.micro_only:
            verification_runs(workspace, matrix, results, save)
        for number, step in enumerate(todo, start=1):
            record = run_playbook(workspace, *step, count_lookups=count_timed)
            results['runs'].append(record)
            log('[%d/%d] %s' % (number, len(todo), describe(record)))
            save()
        if not args.skip_micro:
            results['micro'] = run_micro(workspace, args.micro_calls, args.micro_repeats, args.profile_dir)
            log('micro: %s' % json.dumps(micro_summary(results['micro']), sort_keys=True))
        results['meta']['duration_s'] = round(time.perf_counter() - began, 1)
        results['meta']['loadavg_at_end'] = [round(value, 2) for value in os.getloadavg()]
        results['checks'] = [{'ok': ok, 'text': text} for ok, text in checks(results)]
        save()
    finally:
        emulator.stop()
        workspace.close()

    cpu_ratios = pair_ratios(results, 'cpu_s')
    for key, ratios in sorted(pair_ratios(results).items()):
        if ratios:
            log('b/c %s hosts=%d forks=%d lookups=%d: wall pairs %s, median %.3f; CPU median %.3f'
                % (key + (', '.join('%.3f' % r for r in ratios), statistics.median(ratios),
                          statistics.median(cpu_ratios[key]))))
    write_report(results, args)
    failures = [check for check in results['checks'] if not check['ok']]
    for check in results['checks']:
        log(('ok: ' if check['ok'] else 'FAILED: ') + check['text'])
    log('Done in %.0f s' % results['meta']['duration_s'])
    return 1 if args.check and failures else 0


def micro_summary(micro):
    warm = micro['warm']
    return {
        'cached_run_p50_ms': warm['lookup_run']['p50_ms'], 'cached_run_p95_ms': warm['lookup_run']['p95_ms'],
        'env_run_p50_ms': warm['env_run']['p50_ms'],
        'cold_mint_first_call_ms': micro['cold_mint']['first_call_ms'],
        'cold_cached_load_plus_first_ms': statistics.median(
            m['load_ms'] + m['first_call_ms'] for m in micro['cold_cached']),
        'cold_env_load_plus_first_ms': statistics.median(m['load_ms'] + m['first_call_ms'] for m in micro['cold_env']),
    }


if __name__ == '__main__':
    sys.exit(main())
