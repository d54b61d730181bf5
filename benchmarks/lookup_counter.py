# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run ansible-playbook and count every lookup plugin call, in every forked worker.

Usage: python benchmarks/lookup_counter.py COUNT_FILE [ansible-playbook arguments...]

The benchmark driver uses it in untimed verification runs, to prove that the N lookup evaluations
per host of scenarios (b) and (c) really happen (lazy templating evaluates only what is used).
Every call of a lookup's ``run`` appends the plugin name and a newline to COUNT_FILE, which is
opened with O_APPEND, so the short writes of concurrent workers never interleave. It wraps
``lookup_loader.get``, which ansible-core's templating calls once per lookup call (2.16 to 2.21),
and leaves the plugins themselves alone. Never used for the timed runs.
"""

from __future__ import annotations

import os
import sys


def install(count_file):
    from ansible.plugins.loader import lookup_loader

    original_get = lookup_loader.get

    def counting_get(name, *args, **kwargs):
        plugin = original_get(name, *args, **kwargs)
        if plugin is None or kwargs.get('class_only'):
            return plugin
        original_run = plugin.run

        def counting_run(*run_args, **run_kwargs):
            fd = os.open(count_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (str(name) + '\n').encode('utf-8'))
            finally:
                os.close(fd)
            return original_run(*run_args, **run_kwargs)

        plugin.run = counting_run
        return plugin

    lookup_loader.get = counting_get


def read_counts(count_file):
    """``{plugin name: calls}`` from a count file (empty when nothing was counted)."""
    counts = {}
    try:
        with open(count_file, encoding='utf-8') as handle:
            for line in handle:
                name = line.strip()
                if name:
                    counts[name] = counts.get(name, 0) + 1
    except FileNotFoundError:
        pass
    return counts


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    install(os.path.abspath(argv[1]))
    from ansible.cli.playbook import main as playbook_main
    sys.argv = ['ansible-playbook'] + argv[2:]
    return playbook_main()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
