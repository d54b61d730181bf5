# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""Resolution of the connection options, shared by the module and the lookup.

Both doors resolve the options here from their definitions (:mod:`_definitions`), in ConfigManager's
order of precedence (direct, variables, environment, ansible.cfg, default), rendering a templated
variable before converting it strictly; :mod:`_settings` then checks the values and derives the base
URL. So the module and the lookup read the same options the same way.
"""

from __future__ import annotations

import configparser
import functools
import os
import re

from ansible import constants as C
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.sso.onelogin.plugins.plugin_utils._definitions import (
    CONNECTION_OPTIONS, LOOKUP, MODULE, SECRET_OPTIONS, definitions)
from ansible_collections.sso.onelogin.plugins.plugin_utils._settings import settings_from

__all__ = ('CONNECTION_OPTIONS', 'LOOKUP', 'MODULE', 'SECRET_OPTIONS', 'collect', 'resolve')


# -- resolution: direct > variables > environment > ansible.cfg > default ----------------------------------------------
#
# The sources and their order are ConfigManager's, read from the definitions (the doc fragment); the values
# are read here rather than through ConfigManager because ConfigManager converts a value before the collection can
# render it: a variable "{{ verify }}" became false before it was templated (TLS checks off), "{{ t }}" was refused
# as a number and a templated path was made relative to the playbook's folder. Here a value is rendered first, then
# converted strictly. An empty value (None, or a string that is empty or only spaces) counts as unset wherever it
# comes from, the environment included: AWX renders an empty credential field as an empty environment variable.

def _is_template(value):
    return isinstance(value, str) and ('{{' in value or '{%' in value)


def _render(value, templar):
    # ansible-core < 2.19 hands lookups the raw, untemplated variables, and 2.19+ does not template them on
    # ConfigManager's behalf either. Render what is a template, before any conversion.
    if templar is not None and _is_template(value):
        return templar.template(value)
    return value


def _unset(value):
    return value is None or (isinstance(value, str) and not value.strip())


@functools.lru_cache(maxsize=None)
def _ini_values():
    """``({(section, key): text}, path)`` of the ansible.cfg ansible-core uses; read once per process."""
    path = C.config.get_config_value('CONFIG_FILE')
    found = {}
    if path and os.path.isfile(path):
        parser = configparser.ConfigParser(inline_comment_prefixes=(';',), interpolation=None)
        try:
            parser.read(path, encoding='utf-8')
        except (configparser.Error, UnicodeError, OSError):
            parser = None  # ansible-core itself reports a broken ansible.cfg
        for section in parser.sections() if parser is not None else ():
            for key, text in parser.items(section, raw=True):
                found[(section, key)] = text
    return found, path


def _lookup_source(name, spec, direct, variables, templar):
    """``(raw value, origin)`` of option ``name`` from its most specific source that sets it."""
    value = (direct or {}).get(name)
    if not _unset(value):
        return value, 'Direct'
    if variables:
        for entry in reversed(spec.get('vars') or []):  # as in ConfigManager, the last entry listed wins
            if entry['name'] in variables:
                value = _render(variables[entry['name']], templar)
                if not _unset(value):
                    return value, 'var: %s' % entry['name']
    for entry in reversed(spec.get('env') or []):
        value = os.environ.get(entry['name'])
        if not _unset(value):
            return value, 'env: %s' % entry['name']
    ini, path = _ini_values()
    for entry in reversed(spec.get('ini') or []):
        value = ini.get((entry['section'], entry['key']))
        if not _unset(value):
            return value, path
    return spec.get('default'), 'default'


_WHOLE_NUMBER = re.compile(r'^\s*[+-]?\d{1,18}\s*$')


def _convert(value, spec, origin):
    """``value`` as the plain Python type of the option, strictly; raise ValueError when it is not one."""
    if value is None:
        return None
    kind = spec.get('type') or 'str'
    if kind in ('bool', 'boolean'):
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            text = str.__str__(value).strip().lower() if isinstance(value, str) else int(value)
            try:
                return boolean(text, strict=True)
            except TypeError:
                raise ValueError(kind) from None
        raise ValueError(kind)
    if kind in ('int', 'integer'):
        if isinstance(value, bool):
            raise ValueError(kind)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _WHOLE_NUMBER.match(value):
            return int(value)
        raise ValueError(kind)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        if isinstance(value, (bool, list, dict, tuple, set)) or value is None:
            raise ValueError(kind)
        value = str(value)  # a vaulted value decrypts to text
    text = str.__str__(value) if isinstance(value, str) else str(value)
    if spec.get('choices') and text not in [str(choice) for choice in spec['choices']]:
        raise ValueError(kind)
    if kind == 'path':
        text = os.path.expandvars(os.path.expanduser(text))
        if not os.path.isabs(text):
            base = os.path.dirname(origin) if origin not in ('Direct', 'default') and os.path.isabs(origin) else None
            text = os.path.join(base or os.getcwd(), text)
        text = os.path.normpath(text)
    return text


def collect(direct, variables=None, door=LOOKUP, templar=None):
    """Resolve every connection option with Ansible's precedence; return ``(values, origins)``.

    ``direct``: task arguments (module; already rendered by Ansible) or lookup keywords. ``variables``: the task's
    variables (lookup only; the module does not read inventory variables); templates among them are rendered with
    ``templar`` before they are converted.
    """
    defs = definitions()
    values, origins = {}, {}
    for name in CONNECTION_OPTIONS:
        spec = defs[name]
        value, origin = _lookup_source(name, spec, direct, variables, templar)
        try:
            values[name] = _convert(value, spec, origin)
        except ValueError:
            from ansible_collections.sso.onelogin.plugins.plugin_utils._option_errors import invalid_value
            raise invalid_value(name, value, spec, door) from None
        origins[name] = origin
    return values, origins


def resolve(direct, variables=None, door=LOOKUP, templar=None):
    """Resolve and check the connection options in one call.

    Nothing is kept between calls: a resolution costs well under a tenth of a millisecond, and a lookup
    evaluated again may find other variables, environment or templates.
    """
    values, origins = collect(direct, variables=variables, door=door, templar=templar)
    return settings_from(values, door=door, origins=origins)
