# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""What the options core needs only when something goes wrong.

Where each option can be set, in words; the message for a value that is not of its option's type;
the values that may be the client secret, which the doors scrub from every message. Imported only
when a message is made: every forked worker resolves the options, few of them fail.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import os

from ansible_collections.sso.onelogin.plugins.plugin_utils._definitions import MODULE, SECRET_OPTIONS, definitions
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError


def describe_sources(name, door, defs=None):
    """Say in words where option ``name`` can be set, for error messages."""
    defs = defs if defs is not None else definitions()
    spec = defs.get(name, {})
    if door == MODULE:
        places = ['the task argument %s (or module_defaults for group/sso.onelogin.onelogin)' % name]
    else:
        places = ['the lookup keyword %s=' % name]
        places += ['the variable %s' % entry['name'] for entry in spec.get('vars') or []]
    places += ['the %s environment variable' % entry['name'] for entry in spec.get('env') or []]
    places += ['%s in the [%s] section of ansible.cfg' % (entry['key'], entry['section'])
               for entry in spec.get('ini') or []]
    if len(places) == 1:
        return places[0]
    return '%s or %s' % (', '.join(places[:-1]), places[-1])


def invalid_value(name, value, spec, door):
    """The error for option ``name`` whose ``value`` is not of its type (the secret's value is never shown)."""
    shown = ''
    if name not in SECRET_OPTIONS and isinstance(value, (str, int, float)):
        shown = ' (got %r)' % (str(value)[:100],)
    if spec.get('choices'):
        expected = 'one of %s' % ', '.join(str(choice) for choice in spec['choices'])
    else:
        expected = {'int': 'a whole number', 'integer': 'a whole number', 'bool': 'a boolean (true or false)',
                    'boolean': 'a boolean (true or false)'}.get(spec.get('type'), 'a string')
    return OneLoginError('Invalid value for the OneLogin option %s%s: expected %s. Check %s.',
                         name, shown, expected, describe_sources(name, door))


def candidate_secrets(direct, variables=None):
    """Every value that may be the client secret, to scrub from messages (a safety net only)."""
    found = [(direct or {}).get(name) for name in SECRET_OPTIONS]
    defs = definitions()
    for name in SECRET_OPTIONS:
        spec = defs.get(name, {})
        found += [os.environ.get(entry['name']) for entry in spec.get('env') or []]
        if variables:
            for entry in spec.get('vars') or []:
                try:
                    found.append(variables.get(entry['name']))
                except Exception:  # an undefined or broken variable: nothing to scrub
                    pass
    return [str(value) for value in found if isinstance(value, str) and value]
