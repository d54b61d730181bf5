# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The benchmark report: docs/performance.md and its charts, generated from the JSON results of run.py.

matplotlib is imported only to draw the charts (``charts=True``).
"""

from __future__ import annotations

import json
import os
import statistics

from run import (LOOKUP_PLUGINS, OUTLIER_FACTOR, SCENARIOS, SIZES, TARGET_P50_MS, TARGET_RATIO, TARGET_SIZE, checks,
                 counted_runs, outlier_pairs, outliers, pair_ratios, ratios_by_pair, timed_runs)

MARKDOWN = 'performance.md'
IMAGES = 'images'
CHART_EXCHANGES = 'performance-exchanges.png'
CHART_RATIO = 'performance-ratio.png'
OUTLIER_MARK = '†'


def _fmt_s(value):
    return '%.2f' % value


def _same_or_list(values, fmt=str):
    values = list(values)
    if not values:
        return '–'
    if len(set(values)) == 1:
        return fmt(values[0])
    return '/'.join(fmt(v) for v in values)


def _group(results):
    """``{(token_api, hosts, forks, lookups): {scenario: [records]}}``; (a) is filed under every lookups size."""
    matrix = results['meta']['matrix']
    groups = {}
    for record in timed_runs(results):
        lookups_sizes = matrix['lookups'] if record['scenario'] == 'a' else [record['lookups']]
        for lookups in lookups_sizes:
            key = (record['token_api'], record['hosts'], record['forks'], lookups)
            groups.setdefault(key, {}).setdefault(record['scenario'], []).append(record)
    return groups


def _is_partial(results):
    full = SIZES['full']
    matrix = results['meta']['matrix']
    return results['meta'].get('sizes') != 'full' or any(sorted(matrix[key]) != sorted(full[key]) for key in full)


def target_rows(results):
    """``[(target, result, met)]``; met is None when the size needed was not measured."""
    rows = []
    b_runs = timed_runs(results, 'b')
    bad = [r for r in b_runs if r['exchanges'] != 1 or r['api_401']]
    apis = sorted({r['token_api'] for r in b_runs})
    if b_runs:
        rows.append(('(b) makes exactly 1 token exchange at every size, v1 and v2, with 0 × 401',
                     '%d of %d runs of (b) (%s) made exactly 1 exchange with 0 × 401; (a) made %s exchanges'
                     % (len(b_runs) - len(bad), len(b_runs), ', '.join(apis),
                        _range([r['exchanges'] for r in timed_runs(results, 'a')])), not bad))
    ratios = pair_ratios(results)
    at_target = {key: values for key, values in ratios.items()
                 if key[1] == TARGET_SIZE['hosts'] and key[3] == TARGET_SIZE['lookups'] and values}
    if at_target:
        cpu = pair_ratios(results, 'cpu_s')
        clean = pair_ratios(results, without_outliers=True)
        parts = []
        met = True
        for key, values in sorted(at_target.items()):
            median = statistics.median(values)
            part = '%s forks %d: %.3f (CPU %s)' % (key[0], key[2], median,
                                                   '%.3f' % statistics.median(cpu[key]) if cpu.get(key) else '–')
            worst = median
            if clean.get(key) != values:
                # A pair holds an outlier run: judge on the worse of the medians with and without it.
                without = statistics.median(clean[key]) if clean.get(key) else None
                part += ', %s without the pair holding an outlier run' % ('%.3f' % without if without else 'none left')
                worst = max(median, without) if without else median
            parts.append(part)
            met = met and worst <= TARGET_RATIO
        rows.append((_ratio_target(), '; '.join(parts), met))
    else:
        measured = ', '.join('%s %d hosts forks %d lookups %d: %.3f' % (key + (statistics.median(values),))
                             for key, values in sorted(ratios.items()) if values)
        rows.append((_ratio_target(), 'not measured in this run%s' % ((' (measured: %s)' % measured) if measured else ''),
                     None))
    micro = results.get('micro')
    if micro:
        p50 = micro['warm']['lookup_run']['p50_ms']
        warm = micro['warm']['lookup_run']
        rows.append(('cached lookup p50 < %g ms in-process' % TARGET_P50_MS,
                     'p50 %.3f ms, p95 %.3f ms over %d calls' % (p50, warm['p95_ms'], warm['calls']),
                     p50 < TARGET_P50_MS))
    return rows


def _ratio_target():
    return 'median b/c ≤ %.2f at %d hosts × %d lookups/host' % (TARGET_RATIO, TARGET_SIZE['hosts'], TARGET_SIZE['lookups'])


def _sizes(matrix):
    return 'hosts %s × forks %s × lookups/host %s × token API %s' % tuple(
        ', '.join(str(value) for value in matrix[key]) for key in ('hosts', 'forks', 'lookups', 'token_api'))


def _range(values):
    if not values:
        return '–'
    low, high = min(values), max(values)
    return str(low) if low == high else '%d to %d' % (low, high)


def _mark(met):
    return {True: 'met', False: '**missed**', None: 'not measured'}[met]


def machine_lines(meta):
    machine = meta.get('machine', {})
    lines = [
        '- CPU: %s, %s cores; RAM: %s GiB' % (machine.get('cpu', '?'), machine.get('cores', '?'), machine.get('ram_gib', '?')),
        '- OS: %s (%s)' % (machine.get('os', '?'), machine.get('platform', '?')),
        '- Python %s, ansible-core %s' % (meta.get('python', '?'), meta.get('ansible_core', '?')),
        '- collection revision: `%s`' % meta.get('collection_revision'),
        '- date: %s; duration: %s s; load average (1, 5, 15 min) at start %s, at end %s'
        % (meta.get('date'), meta.get('duration_s', '?'), meta.get('loadavg_at_start'), meta.get('loadavg_at_end')),
    ]
    if meta.get('resumed_from'):
        lines.append('- resumed a run started %s (`--resume`)' % meta['resumed_from'])
    return lines


def load_line(results):
    """The median 1-minute load average before the runs, per fork count: mostly the benchmark's own workers."""
    by_forks = {}
    for record in timed_runs(results):
        if record.get('loadavg_1m_before') is not None:
            by_forks.setdefault(record['forks'], []).append(record['loadavg_1m_before'])
    if not by_forks:
        return []
    return ['- 1-minute load average before a run, median: %s. The runs follow each other, so this is mostly the '
            'previous run\'s own worker processes, not other work on the machine.'
            % ', '.join('%.1f at %d forks' % (statistics.median(values), forks) for forks, values in sorted(by_forks.items()))]


def count_table(results, token_api):
    groups = _group(results)
    lines = ['| hosts | forks | lookups/host | (a) exch. | (a) 200 | (a) 401 | (b) exch. | (b) 200 | (b) 401 '
             '| (c) exch. | (c) 401 | (d) exch. | (d) 401 |', '|' + '---:|' * 13]
    for key in sorted(k for k in groups if k[0] == token_api):
        by = groups[key]

        def col(scenario, field):
            return _same_or_list(r[field] for r in by.get(scenario, []))

        lines.append('| %d | %d | %d | %s |' % (key[1:] + (' | '.join([
            col('a', 'exchanges'), col('a', 'api_200'), col('a', 'api_401'),
            col('b', 'exchanges'), col('b', 'api_200'), col('b', 'api_401'),
            col('c', 'exchanges'), col('c', 'api_401'), col('d', 'exchanges'), col('d', 'api_401')]),)))
    return lines


def time_table(results, token_api):
    groups = _group(results)
    wall = pair_ratios(results)
    cpu = pair_ratios(results, 'cpu_s')
    by_pair = ratios_by_pair(results)
    marked = outlier_pairs(results)
    lines = ['| hosts | forks | lookups/host | (a) wall s | (b) wall s | (c) wall s | (d) wall s | b/c wall, per pair '
             '| **median b/c wall** | median b/c CPU |', '|' + '---:|' * 10]
    for key in sorted(k for k in groups if k[0] == token_api):
        by = groups[key]

        def walls(scenario):
            records = by.get(scenario, [])
            if not records:
                return '–'
            if len(records) == 1:
                return _fmt_s(records[0]['wall_s'])
            return '%s (median of %d)' % (_fmt_s(statistics.median(r['wall_s'] for r in records)), len(records))

        def median(ratios):
            return ('%.3f' % statistics.median(ratios)) if ratios else '–'

        per_pair = ['%.3f%s' % (value, OUTLIER_MARK if pair in marked.get(key, ()) else '')
                    for pair, value in sorted(by_pair.get(key, {}).items())]
        lines.append('| %d | %d | %d | %s | %s | %s | %s | %s | **%s** | %s |' % (
            key[1], key[2], key[3], walls('a'), walls('b'), walls('c'), walls('d'),
            ', '.join(per_pair) or '–', median(wall.get(key, [])), median(cpu.get(key, []))))
    return lines


def outlier_lines(results):
    """The outlier runs, and the medians of their sizes with and without the pairs that hold them."""
    found = outliers(results)
    if not found:
        return []
    wall = pair_ratios(results)
    clean = pair_ratios(results, without_outliers=True)
    lines = ['%s marks a pair that holds an outlier: a run of (b), (c) or (d) that took more than %g times the median '
             'wall time of those runs at its size. The three run the same play text, which differs only in the '
             'evaluated expression, so a run that much slower was held up by something other than what is compared '
             '(something else on the machine). The medians above keep every pair; the table gives them without the marked '
             'pairs too, and a target is judged on the worse of the two.' % (OUTLIER_MARK, OUTLIER_FACTOR), '',
             '| token API | hosts | forks | lookups/host | run | wall s | CPU s | median wall s of the size\'s (b), (c), '
             '(d) runs | median b/c wall | without the marked pairs |', '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|']
    for (key, scenario, pair), record in sorted(found.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or 0)):
        without = clean.get(key)
        lines.append('| %s | %d | %d | %d | (%s)%s | %.2f | %.2f | %.2f | %s | %s |' % (
            key + (scenario, ' pair %d' % pair if pair else '', record['wall_s'], record['cpu_s'],
                   record['sibling_median_wall_s'],
                   '%.3f' % statistics.median(wall[key]) if wall.get(key) else '–',
                   '%.3f' % statistics.median(without) if without else '–')))
    return lines


def micro_lines(micro):
    warm = micro['warm']
    cached = micro['cold_cached']
    env = micro['cold_env']

    def med(records, field):
        return statistics.median(r[field] for r in records)

    def dist(entry):
        return '%.3f / %.3f' % (entry['p50_ms'], entry['p95_ms'])

    lines = [
        '| measure | p50 / p95 ms (%d calls) |' % warm['lookup_run']['calls'],
        '|---|---:|',
        '| cached `sso.onelogin.onelogin_token` lookup, `LookupModule.run()` | %s |' % dist(warm['lookup_run']),
        '| the same through the plugin loader (`lookup_loader.get()` + `run()`, as templating calls it) | %s |'
        % dist(warm['lookup_get_and_run']),
        '| `ansible.builtin.env` lookup, `run()`, for comparison | %s |' % dist(warm['env_run']),
        '',
        '| a new Python process (controller modules already imported) | plugin load ms | first call ms | imports requests |',
        '|---|---:|---:|---|',
        '| empty cache: the first call mints a token | %.1f | %.1f | %s |' % (
            micro['cold_mint']['load_ms'], micro['cold_mint']['first_call_ms'],
            'yes' if micro['cold_mint']['imported_requests'] else 'no'),
        '| warm cache: what a forked worker pays when ansible-playbook has not imported the collection yet, as in '
        'a play that uses only the lookup (after a task of the module, workers inherit its shared core) (median '
        'of %d) | %.1f | %.2f | %s |' % (
            len(cached), med(cached, 'load_ms'), med(cached, 'first_call_ms'),
            'yes' if any(r['imported_requests'] for r in cached) else 'no'),
        '| `ansible.builtin.env` lookup, the floor (median of %d) | %.1f | %.2f | %s |' % (
            len(env), med(env, 'load_ms'), med(env, 'first_call_ms'),
            'yes' if any(r['imported_requests'] for r in env) else 'no'),
    ]
    return lines


def verification_lines(results):
    lines = ['| scenario | token API | hosts | lookups/host | `%s` calls | `%s` calls | expected | exchanges | 401 |'
             % (LOOKUP_PLUGINS['b'], LOOKUP_PLUGINS['c']), '|---|---|---:|---:|---:|---:|---:|---:|---:|']
    for record in counted_runs(results):
        calls = record.get('lookup_calls', {})
        expected = record['hosts'] * record['lookups'] if record['scenario'] in LOOKUP_PLUGINS else 0
        lines.append('| (%s) | %s | %d | %d | %d | %d | %d | %d | %d |' % (
            record['scenario'], record['token_api'], record['hosts'], record['lookups'],
            calls.get(LOOKUP_PLUGINS['b'], 0), calls.get(LOOKUP_PLUGINS['c'], 0), expected,
            record['exchanges'], record['api_401']))
    return lines


def markdown(results, json_name, charts):
    meta = results['meta']
    matrix = meta['matrix']
    out = ['# Performance: token exchanges and overhead at scale', '',
           '<!-- Generated by benchmarks/run.py from %s; do not edit by hand. -->' % json_name, '']
    partial = _is_partial(results)
    if partial:
        out += ['> **Partial run.** Measured: %s, %d pair(s). The full matrix (`make bench`) is %s; the targets '
                'below are judged on the sizes measured only.' % (_sizes(matrix), meta['pairs'], _sizes(SIZES['full'])),
                '']
    out += ['Measured with `make bench` against the bundled OneLogin emulator: real `ansible-playbook` runs on local '
            'hosts (`ansible_connection=local`), the emulator reset before each run, its counters read after it.', '',
            '## Targets', '', '| target | result | |', '|---|---|---|']
    out += ['| %s | %s | %s |' % (target, result, _mark(met)) for target, result, met in target_rows(results)]
    out += ['', '## What runs', '']
    out += ['- **(%s)** %s' % (name, text) for name, text in SCENARIOS.items()]
    out += ['', 'Plays: `benchmarks/playbooks/` ((a): `a_uri_v1.yml`, `a_uri_v2.yml`; (b), (c) and (d): one play text, '
            '`collection.yml.in`, in which only the evaluated expression differs). In (b), (c) and (d) every host '
            'runs the module, then one task whose N variables each template the expression once (an `assert` uses '
            'them all, so lazy templating evaluates every one; untimed runs count the lookup calls, below), then '
            'the API call `GET /api/2/users` with the run\'s token. In (a) every host POSTs to the token endpoint '
            'with `ansible.builtin.uri` and calls the API with the token it registered; with v1 each new token '
            'invalidates the older ones, so the 401s are part of what (a) costs.', '',
            'Per size: (a) once (it has no lookups; the same run is shown in both lookups rows), (d) once, then '
            '(b) and (c) interleaved, b, c, b, c, …: the ratio b/c is taken per pair, side by side, because the '
            'machine is noisy; only the ratios are meant to be compared, not wall times across rows. '
            'Wall time is that of the whole `ansible-playbook` process.', '']
    out += ['## Machine and versions', ''] + machine_lines(meta) + load_line(results) + ['']
    out += ['## Commands', '', '```bash',
            'make bench                        # the whole matrix: bash tests/utils/bench.sh --sizes full --check',
            'make bench BENCH_ARGS=--resume    # go on with an interrupted run (same collection revision)',
            'make bench-smoke                  # the smallest size only (the test suite runs it too)',
            '# where one lookup call spends its time: pyinstrument profiles of the in-process phases',
            'bash tests/utils/bench.sh --sizes smoke --micro-only --profile-dir /tmp/sso-onelogin-profiles',
            '```', '', 'This report was produced by:', '', '```bash', meta['command'], '```', '']
    if charts:
        out += ['## Charts', '', '![Token exchanges per run against hosts, (a) and (b)](%s/%s)' % (IMAGES, CHART_EXCHANGES),
                '', '![Wall-time ratio b/c against hosts](%s/%s)' % (IMAGES, CHART_RATIO), '']
    out += ['## Token exchanges and API calls', '',
            'exch. = token exchanges the emulator saw in the run; 200 / 401 = API calls it answered 200 / 401. '
            'Values separated by `/` are the runs of the pairs, when they differ.', '']
    for token_api in matrix['token_api']:
        out += ['### Token API %s' % token_api, ''] + count_table(results, token_api) + ['']
    out += ['## Wall time and the ratio b/c', '',
            'b/c is the wall time of (b) over that of (c) in the same pair, run back to back. The CPU ratio (user + '
            'system time of `ansible-playbook` and every process it waited for) is shown beside it: it is less '
            'sensitive to what else the machine runs, but the target is on wall time.', '']
    for token_api in matrix['token_api']:
        out += ['### Token API %s' % token_api, ''] + time_table(results, token_api) + ['']
    if outliers(results):
        out += ['### Outliers', ''] + outlier_lines(results) + ['']
    if results.get('micro'):
        out += ['## One lookup call, in-process', '',
                'Each line in a new Python process (`benchmarks/micro.py`), which first imports what '
                '`ansible-playbook` has imported when it forks a worker; the cache folder stands for the run\'s '
                'private temp directory, shared by all of them like the workers of one run.', '']
        out += micro_lines(results['micro']) + ['']
    if counted_runs(results):
        out += ['## Lookup evaluations counted', '',
                'Untimed runs through `benchmarks/lookup_counter.py`, which counts every lookup plugin call in every '
                'worker: the N evaluations per host of (b) and (c) really happen, and (d) makes none.', '']
        out += verification_lines(results) + ['']
    out += ['## Checks (`--check`)', '']
    out += ['- %s %s' % ('ok:' if check['ok'] else '**FAILED:**', check['text'])
            for check in (results.get('checks') or [{'ok': ok, 'text': text} for ok, text in checks(results)])]
    out += ['']
    out += cold_lookup_lines(load_cold_lookup())
    out += cold_lookup_lines(load_cold_lookup(COLD_NO_BYTECODE_JSON))
    out += api_list_lines(load_api_list())
    return '\n'.join(out)


COLD_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results', 'cold_lookup.json')
COLD_NO_BYTECODE_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results',
                                     'cold_lookup_no_bytecode.json')
BYTECODE_WORDS = {
    'on': 'Python writes and uses bytecode, as it does by default (`--bytecode on`; one untimed run of each scenario '
          'writes it first)',
    'off': 'without bytecode: `PYTHONDONTWRITEBYTECODE=1` and no `__pycache__` in the plugins of either collection '
           '(`--bytecode off`), so every worker compiles the plugin files from source, as it always compiles '
           '`plugin_utils` modules that ansible-core\'s collection loader imports',
}


def load_cold_lookup(path=COLD_JSON):
    """The committed results of benchmarks/cold_lookup.py, or None."""
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def cold_lookup_lines(cold):
    """The section on the cold lookup: a lookup-only play beside the same play with a trivial collection lookup."""
    if not cold:
        return []
    meta = cold['meta']
    bytecode = meta.get('bytecode')
    name = 'cold_lookup_no_bytecode.json' if bytecode == 'off' else 'cold_lookup.json'
    command = 'python benchmarks/cold_lookup.py%s --json benchmarks/results/%s' % (
        ' --bytecode off' if bytecode == 'off' else '', name)
    text = ('From `benchmarks/results/%s` (`%s`, %s, ansible-core %s, Python %s, revision %s). '
            % (name, command, meta['date'], meta['ansible_core'], meta['python'], meta['collection_revision']))
    text += ('Every (host, task) '
             'runs in a freshly forked worker that loads the lookup afresh; in a play that uses only the lookup, with '
             'a light task, that load is most of what the lookup costs. (o): %d hosts, %d forks, one `set_fact` task '
             'evaluating `lookup(\'sso.onelogin.onelogin_token\') | length` %d times per host; (t): the same play '
             'with `bench.trivial.constant`, a lookup that returns a constant from a collection of its own '
             '(`benchmarks/collections`); (f): the job\'s floor, `bench.trivial.mint_once` from the same collection, '
             'which makes one token exchange per run with `requests` under a file lock and then reads the token file, '
             'with no option, check or error handling. Interleaved o, t, f, o, t, f, …; the ratios o/t and f/t per '
             'round. With the persistent cache the tokens are cached before the timed rounds, so (o) and (f) make no '
             'exchange at all.' % (meta['hosts'], meta['forks'], meta['lookups_per_host']))
    if bytecode in BYTECODE_WORDS:
        text += ' Bytecode: %s.' % BYTECODE_WORDS[bytecode]
    out = ['## The cold lookup: a lookup-only play beside a trivial collection lookup%s'
           % (', without bytecode' if bytecode == 'off' else ''), '', text, '',
           '| cache | o/t wall per round | median wall | median CPU | exchanges per (o) run | target <= %.2f '
           '| o/t median of each 5 rounds | floor f/t per round | median floor | median o/f |' % meta['target_ratio'],
           '|---|---|---|---|---|---|---|---|---|---|']
    for line in cold['summary']:
        floor = line.get('floor_wall_ratios') or []
        out.append('| %s | %s | **%.3f** | %.3f | %s | %s | %s | %s | %s | %s |' % (
            line['cache'], ', '.join('%.3f' % r for r in line['wall_ratios']), line['median_wall_ratio'],
            line['median_cpu_ratio'], ', '.join(str(n) for n in line['exchanges_per_run']),
            _mark(line['met']), ', '.join('%.3f' % r for r in line.get('block_medians') or []) or '-',
            ', '.join('%.3f' % r for r in floor) or '-', _ratio(line.get('median_floor_ratio')),
            _ratio(line.get('median_vs_floor'))))
    if cold.get('problems'):
        out += [''] + ['- **Problem:** %s' % problem for problem in cold['problems']]
    return out + ['']


def _ratio(value):
    return '-' if value is None else '%.3f' % value


API_LIST_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results', 'api_list.json')
API_LIST_LABELS = {'m': '(m) `sso.onelogin.onelogin_api`', 'u': '(u) `ansible.builtin.uri`'}


def load_api_list(path=None):
    """The committed results of benchmarks/api_list.py, or None."""
    path = path or API_LIST_JSON
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def _counts(values):
    """The distinct values of a count over the runs: one number when every run agrees."""
    return '/'.join('–' if value is None else str(value) for value in values) or '–'


def api_list_lines(listing):
    """The section on listing every user: the module beside the best hand-written uri play."""
    if not listing:
        return []
    meta = listing['meta']
    summary = listing['summary']
    out = ['## Listing every user: onelogin_api vs uri', '',
           'From `benchmarks/results/api_list.json` (`python benchmarks/api_list.py --json '
           'benchmarks/results/api_list.json --check`, %s, ansible-core %s, Python %s, revision %s). The emulator '
           'holds %d users; one local host (`ansible_connection=local`); page size %d; %d rounds, interleaved m, u, '
           'm, u, …, the emulator reset before each run. (m) `benchmarks/playbooks/api_list_module.yml`: one '
           '`sso.onelogin.onelogin_api` task, `path: /api/2/users`, `page_size: %d`, registered, which follows the '
           'cursors with the run\'s token. (u) `benchmarks/playbooks/api_list_uri.yml`, the best `ansible.builtin.uri` '
           'play we could write: the token by a hand-written `uri` POST to the v2 endpoint (HTTP Basic), page 1 to '
           'read `Total-Pages`, one `uri` loop over pages 2..N by page number, `set_fact` joining the pages, with '
           '`no_log` on every task that carries the token. Both end with the same assert (every user, once) and '
           'print the count, which the driver checks. API requests and token exchanges are the emulator\'s counters '
           'for the run; CPU is user + system time of `ansible-playbook` and every process it waited for.'
           % (meta['date'], meta['ansible_core'], meta['python'], meta['collection_revision'], meta['users'],
              meta['page_size'], meta['rounds'], meta['page_size']), '',
           '| scenario | API requests | token exchanges | users listed | median wall s | median CPU s |',
           '|---|---:|---:|---:|---:|---:|']
    for scenario, label in sorted(API_LIST_LABELS.items()):
        line = summary['scenarios'].get(scenario)
        if line:
            out.append('| %s | %s | %s | %s | **%.2f** | %.2f |' % (
                label, _counts(line['api_requests']), _counts(line['exchanges']), _counts(line['items']),
                line['median_wall_s'], line['median_cpu_s']))
    if summary.get('median_wall_ratio') is not None:
        out += ['', 'u/m wall time per round: %s; median **%.3f** (CPU: median %.3f).' % (
            ', '.join('%.3f' % r for r in summary['wall_ratios']), summary['median_wall_ratio'],
            summary['median_cpu_ratio'])]
    out += ['', 'Both send one request per page and make one token exchange; what differs is where the pages are read. '
            'Each page of (u) is a run of the `uri` module of its own (page 1 a task, the others loop items): an '
            'AnsiballZ payload written to a temporary folder and run in a new Python process; (m) is an action '
            'plugin that reads every page within one task, on the controller.']
    if listing.get('problems'):
        out += [''] + ['- **Problem:** %s' % problem for problem in listing['problems']]
    return out + ['']


def _host_ticks(axes, results):
    from matplotlib.ticker import NullFormatter
    hosts = sorted(results['meta']['matrix']['hosts'])
    axes.set_xscale('log')
    axes.set_xticks(hosts)
    axes.set_xticklabels([str(h) for h in hosts])
    axes.xaxis.set_minor_formatter(NullFormatter())
    if len(hosts) == 1:
        axes.set_xlim(hosts[0] / 2.0, hosts[0] * 2.0)


def draw_charts(results, image_dir):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    written = []
    runs = timed_runs(results)
    apis = results['meta']['matrix']['token_api']

    figure, axes = plt.subplots(figsize=(7.5, 4.8))
    styles = {('a', 'v1'): ('tab:red', 'o', '-'), ('a', 'v2'): ('tab:orange', 's', '--'),
              ('b', 'v1'): ('tab:blue', 'o', '-'), ('b', 'v2'): ('tab:green', 's', '--')}
    for scenario in ('a', 'b'):
        for api in apis:
            points = {}
            for record in runs:
                if record['scenario'] == scenario and record['token_api'] == api:
                    points[record['hosts']] = max(points.get(record['hosts'], 0), record['exchanges'])
            if points:
                hosts = sorted(points)
                colour, marker, line = styles[(scenario, api)]
                label = '(a) uri per host, %s' % api if scenario == 'a' else '(b) collection, %s' % api
                axes.plot(hosts, [points[h] for h in hosts], marker=marker, linestyle=line, color=colour, label=label)
    rejected = {}
    for record in runs:
        if record['scenario'] == 'a' and record['token_api'] == 'v1' and record['api_401']:
            rejected[record['hosts']] = max(rejected.get(record['hosts'], 0), record['api_401'])
    if rejected:
        hosts = sorted(rejected)
        axes.plot(hosts, [rejected[h] for h in hosts], marker='x', linestyle=':', color='tab:red',
                  label='(a) v1: API calls rejected (401)')
    _host_ticks(axes, results)
    axes.set_yscale('log')
    axes.set_xlabel('hosts')
    axes.set_ylabel('per ansible-playbook run (log scale)')
    axes.set_title('Token exchanges (and rejected API calls) against hosts')
    axes.grid(True, which='both', alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path = os.path.join(image_dir, CHART_EXCHANGES)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    written.append(path)

    ratios = pair_ratios(results)
    by_pair = ratios_by_pair(results)
    marked = outlier_pairs(results)
    # The y range covers the medians, the target and every pair without an outlier run; an outlier pair
    # outside it is drawn at the edge with its value written beside it, so that one run cannot flatten the rest.
    shown = [value for key, pairs in by_pair.items() for pair, value in pairs.items() if pair not in marked.get(key, ())]
    shown += [statistics.median(values) for values in ratios.values() if values] + [TARGET_RATIO, 1.0]
    low, high = min(shown), max(shown)
    margin = (high - low) * 0.08 or 0.05
    low, high = low - margin, high + margin
    width = max(7.0, 5.2 * len(apis))
    figure, panels = plt.subplots(1, len(apis), figsize=(width, 4.6), sharey=True, squeeze=False)
    for panel, api in zip(panels[0], apis):
        series = sorted({(key[2], key[3]) for key in ratios if key[0] == api})
        for forks, lookups in series:
            keys = sorted(key for key in ratios if key[0] == api and key[2] == forks and key[3] == lookups
                          and ratios[key])
            hosts = [key[1] for key in keys]
            medians = [statistics.median(ratios[key]) for key in keys]
            line, = panel.plot(hosts, medians, marker='o', label='forks %d, %d lookup(s)/host' % (forks, lookups))
            for key in keys:
                inside = [value for value in ratios[key] if low <= value <= high]
                panel.scatter([key[1]] * len(inside), inside, color=line.get_color(), alpha=0.35, s=12)
                for value in ratios[key]:
                    if low <= value <= high:
                        continue
                    edge = low if value < low else high
                    panel.scatter([key[1]], [edge], color=line.get_color(), marker='v' if value < low else '^', s=30)
                    panel.annotate('%.3f%s' % (value, OUTLIER_MARK), (key[1], edge), textcoords='offset points',
                                   xytext=(6, 4 if value < low else -10), fontsize='x-small', color=line.get_color())
        panel.set_ylim(low, high)
        panel.axhline(TARGET_RATIO, color='tab:red', linestyle='--', linewidth=1, label='target %.2f' % TARGET_RATIO)
        panel.axhline(1.0, color='grey', linewidth=0.8)
        _host_ticks(panel, results)
        panel.set_xlabel('hosts')
        panel.set_title('token API %s' % api)
        panel.grid(True, which='both', alpha=0.3)
        panel.legend(fontsize='small', loc='best')
    panels[0][0].set_ylabel('wall time (b) / (c): median, and each pair')
    if any(not low <= value <= high for values in ratios.values() for value in values):
        figure.text(0.01, 0.01, '%s outside the axis, drawn at its edge: a pair holding an outlier run '
                    '(docs/performance.md, Outliers)' % OUTLIER_MARK, fontsize='x-small')
    figure.suptitle('Wall time of (b), the collection\'s lookup, over (c), ansible.builtin.env', fontsize='medium')
    figure.tight_layout()
    path = os.path.join(image_dir, CHART_RATIO)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    written.append(path)
    return written


def write(results, output_dir, charts=True, json_path=None, root=None):
    """Write the markdown (and the charts); return the paths written."""
    os.makedirs(output_dir, exist_ok=True)
    written = []
    if charts:
        image_dir = os.path.join(output_dir, IMAGES)
        os.makedirs(image_dir, exist_ok=True)
        written += draw_charts(results, image_dir)
    json_name = os.path.relpath(json_path, root) if json_path and root else (json_path or 'the JSON results')
    path = os.path.join(output_dir, MARKDOWN)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(markdown(results, json_name, charts))
    written.append(path)
    return written
