# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""Loading the engine modules a lookup needs from Python's bytecode cache.

ansible-core's collection loader compiles a ``plugin_utils`` module from its source at every import and keeps no
bytecode, and Ansible loads a lookup afresh in every forked worker: ``compile()`` of the engine was most of
what a worker paid for the lookup's cached path (about 9 of 13 ms, benchmarks/cold_lookup.py and
docs/performance.md). ansible-core loads plugin files themselves with ``importlib.util.spec_from_file_location``,
whose loader keeps their bytecode in ``__pycache__``. :func:`preload` loads engine modules the same way, before the
lookup imports them, so that its imports find them loaded. Action plugins do not need it: the main process
loads their classes before it forks the workers, and the workers inherit the engine.

Python decides as for any module: the bytecode is written when the folder is writable and
``PYTHONDONTWRITEBYTECODE`` is not set, and is used while it matches the source. A module already imported
is left as it is; one whose file is not found is left to the ordinary import, which reports it.
"""

from __future__ import annotations

import importlib.util
import os
import sys

PACKAGE = 'ansible_collections.sso.onelogin.plugins.plugin_utils'

# Each tuple lists modules after the engine modules they import when loaded, so that those come from bytecode
# too (tests/unit/plugins/plugin_utils/test_preload.py checks the order against the sources).
TOKEN_PATH = ('_errors', '_folders', '_option_table', '_definitions', '_settings', '_options', '_cache', '_token_source')
# What a miss adds (a mint, a revoke): one worker a run loads it, while the others wait for its token.
MINT_PATH = TOKEN_PATH + ('_scrub', '_transport', '_calls', '_timeutil', '_client', '_cache_writes', '_renewal')
API_PATH = TOKEN_PATH + ('_scrub', '_option_errors', '_api_request', '_api_answers', '_transport', '_calls',
                         '_timeutil', '_client', '_cache_writes', '_api_budget', '_api')


def preload(names):
    """Load the engine modules ``names``, in that order, through Python's file loader (with bytecode)."""
    package = sys.modules[PACKAGE]
    folder = package.__path__[0]  # where ansible-core's collection loader found the package
    for name in names:
        full_name = '%s.%s' % (PACKAGE, name)
        path = os.path.join(folder, name + '.py')
        if full_name in sys.modules or not os.path.isfile(path):
            continue
        spec = importlib.util.spec_from_file_location(full_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[full_name] = module  # as an import does: visible to the modules it imports
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[full_name]
            raise
        setattr(package, name, module)
