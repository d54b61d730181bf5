# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The definitions of the connection options: their names, and ansible-core's reading of their documentation.

The options are declared once, in the ``sso.onelogin.connection`` doc fragment (with its ``plugins`` part,
which adds the variable, environment and ansible.cfg sources). :mod:`_option_table` is ansible-core's own
reading of that documentation for the two lookups, generated from it by ``tests/utils/option_table.py``
and checked against it on every test leg.

ansible-core reads a lookup's options from its documentation when it loads the lookup: a YAML parse of the
lookup's DOCUMENTATION and of the doc fragments, in every forked worker, which was most of what a worker
paid for its first lookup call. :func:`register` offers it the same reading first, so it does not parse.
"""

from __future__ import annotations

from ansible import constants as C

from ansible_collections.sso.onelogin.plugins.plugin_utils._option_table import API_LOOKUP, TOKEN_LOOKUP

MODULE = 'module'
LOOKUP = 'lookup'

# Names of the connection options, in documentation order. The doc fragment is the source;
# tests/unit/plugins/plugin_utils/test_definitions.py checks that the two agree.
CONNECTION_OPTIONS = (
    'client_id', 'client_secret', 'region', 'subdomain', 'api_url',
    'token_api', 'validate_certs', 'timeout', 'min_ttl', 'retry_timeout', 'cache', 'cache_dir',
)
SECRET_OPTIONS = frozenset(('client_secret',))

__all__ = ('API_LOOKUP', 'CONNECTION_OPTIONS', 'LOOKUP', 'MODULE', 'SECRET_OPTIONS', 'TOKEN_LOOKUP', 'definitions',
           'register')


def definitions():
    """The definitions of the connection options (type, default, choices, vars, env, ini), by name."""
    return TOKEN_LOOKUP


def register(config_name, options):
    """Offer ansible-core a lookup's option definitions before it parses the lookup's documentation for them.

    ``config_name``: the name ansible-core files the lookup's options under, the ``__name__`` of the lookup
    module. Called when the lookup module is imported; if ansible-core has the definitions already, nothing
    changes.
    """
    if not C.config.has_configuration_definition('lookup', config_name):
        C.config.initialize_plugin_configuration_definitions('lookup', config_name, options)
