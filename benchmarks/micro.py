# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""In-process timings of the sso.onelogin.onelogin_token lookup; one phase per Python process.

Usage: python benchmarks/micro.py --mode MODE --run-dir DIR [--calls N] [--profile FILE]

Credentials and host come from the ONELOGIN_* environment variables, the collection from
ANSIBLE_COLLECTIONS_PATH (benchmarks/run.py sets all of them). ``--run-dir`` stands for the
run's private temp directory (``C.DEFAULT_LOCAL_TMP``) that ansible-playbook creates before it
forks its workers: the cache lives in its ``sso_onelogin_tokens`` folder, so processes given the
same folder share one cache, like the workers of one run.

Modes (each prints one JSON object):
  cold-mint    a new process, an empty cache: the plugin load and the first call, which mints a token
  cold-cached  a new process, a warm cache: what every forked worker pays for its first lookup
  cold-env     the same for lookup('ansible.builtin.env'), the floor of any lookup
  warm         a warm process and cache: p50/p95 of ``run()`` over --calls calls, also through the
               plugin loader (as templating calls it), and of the env lookup for comparison

Before anything is timed, the process imports what an ansible-playbook controller has imported
when it forks a worker (CLI, executor, strategy, templating), so the "cold" numbers are the
lookup's own cost, not ansible-core's start-up.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time

NAME = 'sso.onelogin.onelogin_token'
ENV_NAME = 'ansible.builtin.env'
# Imported by ansible-playbook's main process before it forks workers.
CONTROLLER_MODULES = (
    'ansible.cli.playbook', 'ansible.executor.playbook_executor', 'ansible.executor.task_queue_manager',
    'ansible.executor.task_executor', 'ansible.executor.process.worker', 'ansible.plugins.strategy.linear',
    'ansible.plugins.callback.default', 'ansible.plugins.action', 'ansible.plugins.lookup',
    'ansible.parsing.dataloader', 'ansible.template', 'ansible.vars.manager',
)
# Task variables as a worker passes them (the lookup reads only its own option variables).
VARIABLES = {'inventory_hostname': 'node001', 'ansible_connection': 'local', 'group_names': [],
             'ansible_check_mode': False, 'ansible_forks': 5, 'omit': '__omit_place_holder__'}


def ms(seconds):
    return round(seconds * 1000.0, 4)


def distribution(samples):
    ordered = sorted(samples)
    return {
        'calls': len(ordered),
        'p50_ms': ms(statistics.median(ordered)),
        'p95_ms': ms(ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]),
        'mean_ms': ms(statistics.fmean(ordered)),
        'min_ms': ms(ordered[0]),
        'max_ms': ms(ordered[-1]),
    }


class Profiler:
    """pyinstrument around the measured part, when --profile is given (pip install pyinstrument)."""

    def __init__(self, path):
        self.path = path
        self.profiler = None
        if path:
            from pyinstrument import Profiler as Pyinstrument
            self.profiler = Pyinstrument(interval=0.0002)

    def __enter__(self):
        if self.profiler:
            self.profiler.start()
        return self

    def __exit__(self, *exc):
        if self.profiler:
            self.profiler.stop()
            with open(self.path, 'w', encoding='utf-8') as handle:
                handle.write(self.profiler.output_text(unicode=True, color=False, show_all=True))
        return False


def prepare(run_dir):
    """Import the controller's modules and initialise the plugin loader, as a worker inherits them."""
    begin = time.perf_counter()
    for module in CONTROLLER_MODULES:
        importlib.import_module(module)
    from ansible import constants as C
    from ansible.plugins.loader import action_loader, init_plugin_loader, module_loader
    init_plugin_loader()
    # The main process resolves the actions of the play's tasks while it parses the playbook, which
    # loads the routing metadata of ansible.builtin and of the collection before any fork.
    for loader, name in ((module_loader, 'ansible.builtin.uri'), (action_loader, 'ansible.builtin.assert'),
                         (action_loader, 'sso.onelogin.onelogin_token')):
        loader.find_plugin_with_context(name)
    # What a forked worker sees: the run's temp directory, made by the main process.
    C.DEFAULT_LOCAL_TMP = run_dir
    return ms(time.perf_counter() - begin)


def new_templar():
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    loader = DataLoader()
    return loader, Templar(loader=loader)


def cold(name, terms, profile):
    """Load the plugin and make the first call, timed apart."""
    from ansible.plugins.loader import lookup_loader
    loader, templar = new_templar()
    requests_before = 'requests' in sys.modules
    with Profiler(profile):
        begin = time.perf_counter()
        plugin = lookup_loader.get(name, loader=loader, templar=templar)
        loaded = time.perf_counter()
        value = plugin.run(terms, variables=dict(VARIABLES))
        done = time.perf_counter()
    if not value or not isinstance(value[0], str) or len(value[0]) < 32:
        raise SystemExit('the %s lookup returned no usable value' % name)
    return {
        'plugin': name,
        'load_ms': ms(loaded - begin),
        'first_call_ms': ms(done - loaded),
        'imported_requests': 'requests' in sys.modules and not requests_before,
    }


def warm(calls, profile):
    from ansible.plugins.loader import lookup_loader
    loader, templar = new_templar()
    plugin = lookup_loader.get(NAME, loader=loader, templar=templar)
    env_plugin = lookup_loader.get(ENV_NAME, loader=loader, templar=templar)
    for dummy in range(50):  # warm-up: the cache is warm already, this warms the process
        plugin.run([], variables=dict(VARIABLES))
        env_plugin.run(['BENCH_VALUE'], variables=dict(VARIABLES))

    def sample(call):
        samples = []
        for dummy in range(calls):
            begin = time.perf_counter()
            call()
            samples.append(time.perf_counter() - begin)
        return distribution(samples)

    def through_loader():
        # what templating does for every lookup(...) call: get a new instance, then run it
        lookup_loader.get(NAME, loader=loader, templar=templar).run([], variables=dict(VARIABLES))

    with Profiler(profile):
        lookup_run = sample(lambda: plugin.run([], variables=dict(VARIABLES)))
    return {
        'lookup_run': lookup_run,
        'lookup_get_and_run': sample(through_loader),
        'env_run': sample(lambda: env_plugin.run(['BENCH_VALUE'], variables=dict(VARIABLES))),
        'imported_requests': 'requests' in sys.modules,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description='In-process timings of the sso.onelogin.onelogin_token lookup.')
    parser.add_argument('--mode', required=True, choices=['cold-mint', 'cold-cached', 'cold-env', 'warm'])
    parser.add_argument('--run-dir', required=True, help='the run temp directory the cache lives in')
    parser.add_argument('--calls', type=int, default=2000, help='calls in the warm loop (default: %(default)s)')
    parser.add_argument('--profile', help='write a pyinstrument profile of the measured part to this file')
    args = parser.parse_args(argv)
    cache = os.path.join(args.run_dir, 'sso_onelogin_tokens')
    warm_cache = os.path.isdir(cache) and any(name.endswith('.json') for name in os.listdir(cache))
    if args.mode == 'cold-mint' and warm_cache:
        raise SystemExit('cold-mint needs an empty cache in %s' % cache)
    if args.mode in ('cold-cached', 'warm') and not warm_cache:
        raise SystemExit('%s needs a warm cache in %s: run cold-mint first' % (args.mode, cache))
    result = {'mode': args.mode, 'controller_imports_ms': prepare(args.run_dir)}
    if args.mode == 'cold-env':
        result.update(cold(ENV_NAME, ['BENCH_VALUE'], args.profile))
    elif args.mode.startswith('cold-'):
        result.update(cold(NAME, [], args.profile))
    else:
        result.update(warm(args.calls, args.profile))
    json.dump(result, sys.stdout, sort_keys=True)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
