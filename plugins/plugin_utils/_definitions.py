# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The definitions of the connection options: their names, and ConfigManager's reading of the doc fragment.

The options are declared once, in the ``sso.onelogin.connection`` doc fragment. Ansible's ConfigManager
loads them (with their env, vars and ansible.cfg sources) as the configuration definitions of the
``sso.onelogin.onelogin_token`` lookup; this module finds them there, and reads the run's memo
of those definitions (speed only, see below; :mod:`_definitions_memo` writes it).
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import functools
import json
import os
import types

from ansible import constants as C

from ansible_collections.sso.onelogin.plugins.plugin_utils._folders import run_directory
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

LOOKUP_NAME = 'sso.onelogin.onelogin_token'
MODULE = 'module'
LOOKUP = 'lookup'

# Names of the connection options, in documentation order. The doc fragment is the source;
# tests/unit/plugins/plugin_utils/test_definitions.py checks that the two agree.
CONNECTION_OPTIONS = (
    'client_id', 'client_secret', 'region', 'subdomain', 'api_url',
    'token_api', 'validate_certs', 'timeout', 'min_ttl', 'retry_timeout', 'cache', 'cache_dir',
)
SECRET_OPTIONS = frozenset(('client_secret',))


@functools.lru_cache(maxsize=None)
def config_name():
    """The name ConfigManager files the lookup's option definitions under (loading the lookup once).

    Loading the lookup class registers its options (the doc fragment) with ConfigManager. The action
    plugin runs in a worker that may not have loaded it yet.
    """
    from ansible.plugins.loader import lookup_loader
    plugin_class = lookup_loader.get(LOOKUP_NAME, class_only=True)
    if plugin_class is None:
        raise OneLoginError('The %s lookup, which defines the OneLogin options, could not be loaded. Reinstall '
                            'the sso.onelogin collection: a file of it is missing.', LOOKUP_NAME)
    return getattr(plugin_class, '_load_name', None) or LOOKUP_NAME


def definitions():
    """Return ConfigManager's definitions of the connection options."""
    defs = C.config.get_configuration_definitions('lookup', config_name())
    missing = [name for name in CONNECTION_OPTIONS if name not in (defs or {})]
    if missing:
        raise OneLoginError(
            'The option definitions of %s could not be loaded (missing: %s). Reinstall the sso.onelogin '
            'collection: a file of it is missing or damaged.', LOOKUP_NAME, ', '.join(missing))
    if not _memo.written:
        _memo.written = True
        from ansible_collections.sso.onelogin.plugins.plugin_utils._definitions_memo import remember
        remember(defs, config_name())
    return defs


# The run's memo of the option definitions.
#
# When ansible-core loads the lookup it parses its DOCUMENTATION and the doc fragment (YAML, with
# origin tags on 2.19+) to register the options with ConfigManager, unless they are registered
# already. Every forked worker loads the lookup afresh, and that parse was most of what a worker
# paid for its first lookup call. So the first worker that has the definitions writes them, as
# ansible-core parsed them, to the run's private cache folder (_definitions_memo), and the lookup module registers
# them from there when it is imported, before ansible-core looks. The doc fragment stays the one
# source: the memo is ansible-core's own reading of it, lives only as long as the run (the folder
# is removed with the run's temp directory) and holds no secret. A missing or unreadable memo just
# means ansible-core parses the YAML, as without it.
DEFINITIONS_MEMO = 'definitions.json'
_MEMO_FORMAT = 'sso.onelogin/definitions/1'
_memo = types.SimpleNamespace(written=False)  # whether this process wrote the memo or found it


def _memo_path():
    return os.path.join(run_directory(), DEFINITIONS_MEMO)


def memo_stamp():
    from ansible.release import __version__ as ansible_version
    return {'format': _MEMO_FORMAT, 'ansible_core': ansible_version}


def preload_definitions():
    """Register the options with ConfigManager from the run's memo, if there is a valid one.

    Called when the lookup module is imported. Returns True when the memo was used.
    """
    try:
        with open(_memo_path(), encoding='utf-8') as memo_file:
            memo = json.load(memo_file)
        options, config_name = memo.pop('options'), memo.pop('config_name')
        if memo != memo_stamp() or not all(isinstance(options.get(name), dict) for name in CONNECTION_OPTIONS):
            return False
        if C.config.has_configuration_definition('lookup', config_name):
            return False
    except Exception:  # no memo yet, or one this version cannot use: ansible-core parses the docs
        return False
    # The name ansible-core files the lookup's options under, as it was in the worker that wrote the memo.
    C.config.initialize_plugin_configuration_definitions('lookup', config_name, options)
    _memo.written = True  # it is there already
    return True
