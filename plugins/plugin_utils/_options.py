# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The options model shared by the module and the lookup.

The options are declared once, in the ``sso.onelogin.connection`` doc fragment. Ansible's
ConfigManager loads them (with their env, vars and ansible.cfg sources) as the configuration
definitions of the ``sso.onelogin.onelogin_token`` lookup. Both doors resolve them here from those
definitions, in ConfigManager's order of precedence (direct, variables, environment, ansible.cfg,
default), rendering a templated variable before converting it strictly; so the module and the
lookup read the same options the same way. This module then checks the values and derives the
base URL.
"""

from __future__ import annotations

import configparser
import hashlib
import ipaddress
import json
import os
import re
import tempfile
from collections import namedtuple
from urllib.parse import urlsplit

from ansible import constants as C
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import default_persistent_directory, run_directory
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError, basic_credentials

LOOKUP_NAME = 'sso.onelogin.onelogin_token'
MODULE = 'module'
LOOKUP = 'lookup'

# Names of the connection options, in documentation order. The doc fragment is the source;
# tests/unit/plugins/plugin_utils/test_options.py checks that the two agree.
CONNECTION_OPTIONS = (
    'client_id', 'client_secret', 'region', 'subdomain', 'api_url',
    'token_api', 'validate_certs', 'timeout', 'min_ttl', 'retry_timeout', 'cache', 'cache_dir',
)
SECRET_OPTIONS = frozenset(('client_secret',))

# OneLogin documents a token lifetime of 10 hours.
DOCUMENTED_TOKEN_LIFETIME = 36000

CACHE_MODES = ('run', 'persistent', 'none')


_CONFIG_NAME = []


def _config_name():
    """The name ConfigManager files the lookup's option definitions under (loading the lookup once).

    Loading the lookup class registers its options (the doc fragment) with ConfigManager. The action
    plugin runs in a worker that may not have loaded it yet.
    """
    if not _CONFIG_NAME:
        from ansible.plugins.loader import lookup_loader
        plugin_class = lookup_loader.get(LOOKUP_NAME, class_only=True)
        if plugin_class is None:
            raise OneLoginError('The %s lookup, which defines the OneLogin options, could not be loaded. Reinstall '
                                'the sso.onelogin collection: a file of it is missing.', LOOKUP_NAME)
        _CONFIG_NAME.append(getattr(plugin_class, '_load_name', None) or LOOKUP_NAME)
    return _CONFIG_NAME[0]


def definitions():
    """Return ConfigManager's definitions of the connection options."""
    defs = C.config.get_configuration_definitions('lookup', _config_name())
    missing = [name for name in CONNECTION_OPTIONS if name not in (defs or {})]
    if missing:
        raise OneLoginError(
            'The option definitions of %s could not be loaded (missing: %s). Reinstall the sso.onelogin '
            'collection: a file of it is missing or damaged.', LOOKUP_NAME, ', '.join(missing))
    if not _MEMO_WRITTEN:
        _remember_definitions(defs)
    return defs


# The run's memo of the option definitions.
#
# When ansible-core loads the lookup it parses its DOCUMENTATION and the doc fragment (YAML, with
# origin tags on 2.19+) to register the options with ConfigManager, unless they are registered
# already. Every forked worker loads the lookup afresh, and that parse was most of what a worker
# paid for its first lookup call. So the first worker that has the definitions writes them, as
# ansible-core parsed them, to the run's private cache folder, and the lookup module registers
# them from there when it is imported, before ansible-core looks. The doc fragment stays the one
# source: the memo is ansible-core's own reading of it, lives only as long as the run (the folder
# is removed with the run's temp directory) and holds no secret. A missing or unreadable memo just
# means ansible-core parses the YAML, as without it.
DEFINITIONS_MEMO = 'definitions.json'
_MEMO_FORMAT = 'sso.onelogin/definitions/1'
_MEMO_WRITTEN = []


def _memo_path():
    return os.path.join(run_directory(), DEFINITIONS_MEMO)


def _memo_stamp():
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
        if memo != _memo_stamp() or not all(isinstance(options.get(name), dict) for name in CONNECTION_OPTIONS):
            return False
        if C.config.has_configuration_definition('lookup', config_name):
            return False
    except Exception:  # no memo yet, or one this version cannot use: ansible-core parses the docs
        return False
    # The name ansible-core files the lookup's options under, as it was in the worker that wrote the memo.
    C.config.initialize_plugin_configuration_definitions('lookup', config_name, options)
    _MEMO_WRITTEN.append(True)  # it is there already
    return True


def _remember_definitions(defs):
    """Write the memo once per process, into the run's cache folder if it exists (the cache creates it)."""
    _MEMO_WRITTEN.append(True)
    folder = run_directory()
    if not os.path.isdir(folder) or os.path.exists(os.path.join(folder, DEFINITIONS_MEMO)):
        return
    tmp_path = None
    try:
        text = json.dumps(dict(_memo_stamp(), options=defs, config_name=_config_name()), sort_keys=True)
        fd, tmp_path = tempfile.mkstemp(prefix='.definitions-', dir=folder)
        with os.fdopen(fd, 'w', encoding='utf-8') as memo_file:
            memo_file.write(text)
        os.replace(tmp_path, _memo_path())
        tmp_path = None
    except (OSError, TypeError, ValueError):  # an optimisation only: never fail a task over it
        pass
    finally:
        if tmp_path:
            try:
                os.unlink(tmp_path)
            except OSError:
                pass


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


# -- resolution: direct > variables > environment > ansible.cfg > default ----------------------------------------------
#
# The sources and their order are ConfigManager's, read from the definitions above (the doc fragment); the values
# are read here rather than through ConfigManager because ConfigManager converts a value before the collection can
# render it: a variable "{{ verify }}" became false before it was templated (TLS checks off), "{{ t }}" was refused
# as a number and a templated path was made relative to the playbook's folder. Here a value is rendered first, then
# converted strictly. An empty value (None, or a string that is empty or only spaces) counts as unset wherever it
# comes from, the environment included: AWX renders an empty credential field as an empty environment variable.

SOURCE_ORDER = ('Direct', 'var', 'env', 'ini', 'default')  # most specific first: the order of precedence


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


def _ini_values():
    """``{(section, key): text}`` of the ansible.cfg ansible-core uses, and its path; read once per process."""
    if _INI:
        return _INI[0]
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
    _INI.append((found, path))
    return _INI[0]


_INI = []


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
            raise OneLoginError('Invalid value for the OneLogin option %s%s: expected %s. Check %s.',
                                name, _shown_value(name, value), _expected(spec), describe_sources(name, door)) \
                from None
        origins[name] = origin
    return values, origins


def _shown_value(name, value):
    if name in SECRET_OPTIONS or not isinstance(value, (str, int, float)):
        return ''
    return ' (got %r)' % (str(value)[:100],)


def _expected(spec):
    if spec.get('choices'):
        return 'one of %s' % ', '.join(str(choice) for choice in spec['choices'])
    return {'int': 'a whole number', 'integer': 'a whole number', 'bool': 'a boolean (true or false)',
            'boolean': 'a boolean (true or false)'}.get(spec.get('type'), 'a string')


_SETTINGS_FIELDS = ('client_id', 'client_secret', 'base_url', 'token_api', 'validate_certs', 'timeout', 'min_ttl',
                    'retry_timeout', 'cache', 'cache_dir', 'door')


class Settings(namedtuple('Settings', _SETTINGS_FIELDS)):
    """Validated connection settings. ``repr`` never shows the secret.

    ``cache_dir`` is the absolute path of the persistent cache folder (the option, else the default) whatever
    the cache mode: the cache checks and pins it when it uses it. ``door`` says which door asked, for messages.
    """

    __slots__ = ()

    def __repr__(self):
        return 'Settings(%s)' % ', '.join('%s=%r' % (name, getattr(self, name)) for name in self._fields
                                          if name != 'client_secret')

    @property
    def cache_key(self):
        """Stable name of this credential set's cache entry; the secret only enters through a hash."""
        digest = hashlib.sha256()
        for part in ('sso.onelogin/token-cache', self.base_url, self.client_id, self.client_secret):
            digest.update(part.encode('utf-8'))
            digest.update(b'\0')
        return digest.hexdigest()

    @property
    def secrets(self):
        """The client secret and what is derived from it on the wire (the HTTP Basic value of v2)."""
        return (self.client_secret, basic_credentials(self.client_id, self.client_secret))

    def where(self, name):
        return describe_sources(name, self.door)


# Bounds of the number options: (lowest, highest). OneLogin documents a token lifetime of 10 hours.
BOUNDS = {'timeout': (1, 3600), 'retry_timeout': (0, 3600), 'min_ttl': (0, DOCUMENTED_TOKEN_LIFETIME - 1)}
_BOUND_NOTES = {'timeout': '', 'retry_timeout': ' (0 turns retries off)',
                'min_ttl': ' (below the token lifetime of 36000 seconds)'}
# OneLogin issues client IDs and secrets as hex strings; anything outside printable ASCII is a paste error.
_PRINTABLE_ASCII = re.compile(r'^[\x20-\x7e]*$')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_LABELS = {'client_id': 'client ID', 'client_secret': 'client secret'}


def _check_credential(name, value, where):
    if value is None:
        raise OneLoginError('No OneLogin %s was given (an empty value counts as not given). Set %s.',
                            _LABELS[name], where)
    if _CONTROL.search(value):
        raise OneLoginError('The OneLogin %s contains a control character (such as a line break); nothing was sent. '
                            'Check %s for stray characters, for example a trailing newline from a file.', name, where)
    if not _PRINTABLE_ASCII.match(value):
        raise OneLoginError('The OneLogin %s contains a character outside printable ASCII; nothing was sent. OneLogin '
                            'issues client IDs and secrets as ASCII (hexadecimal) strings, so this is most likely a '
                            'copy-and-paste error. Check %s.', name, where)
    if value != value.strip():
        raise OneLoginError('The OneLogin %s starts or ends with a space; nothing was sent. Check %s.', name, where)


def settings_from(values, door=LOOKUP, origins=None):
    """Check resolved option values and build :class:`Settings`; raise OneLoginError on bad input."""
    def where(name):
        return describe_sources(name, door)

    client_id, client_secret = values.get('client_id'), values.get('client_secret')
    _check_credential('client_id', client_id, where('client_id'))
    _check_credential('client_secret', client_secret, where('client_secret'))

    numbers = {}
    for name, (lowest, highest) in BOUNDS.items():
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not lowest <= value <= highest:
            raise OneLoginError('The OneLogin option %s must be a whole number of seconds from %d to %d%s, not %s. '
                                'Check %s.', name, lowest, highest, _BOUND_NOTES[name], str(value)[:40], where(name))
        numbers[name] = value
    cache = values.get('cache') or 'run'
    if cache not in CACHE_MODES:  # the choices are checked when converting; this guards direct callers
        raise OneLoginError('Unknown OneLogin cache mode %r: use run, persistent or none. Check %s.',
                            str(cache), where('cache'))
    token_api = values.get('token_api') or 'v2'
    if token_api not in ('v2', 'v1'):
        raise OneLoginError('Unknown OneLogin token_api %r: use v2 or v1. Check %s.', str(token_api), where('token_api'))
    cache_dir = values.get('cache_dir') or default_persistent_directory()
    validate_certs = values.get('validate_certs')

    return Settings(
        client_id=client_id,
        client_secret=client_secret,
        base_url=base_url_from(values, door, origins),
        token_api=token_api,
        validate_certs=validate_certs is not False,  # off only when the user set it off
        timeout=numbers['timeout'],
        min_ttl=numbers['min_ttl'],
        retry_timeout=numbers['retry_timeout'],
        cache=cache,
        cache_dir=os.path.abspath(os.path.expanduser(cache_dir)),
        door=door,
    )


_HOST_OPTIONS = ('api_url', 'subdomain', 'region')


def _source_rank(origin):
    """Where ``origin`` stands in the order of precedence: lower wins."""
    origin = str(origin or 'default')
    for rank, kind in enumerate(SOURCE_ORDER):
        if origin.startswith(kind):
            return rank
    return SOURCE_ORDER.index('ini')  # the path of ansible.cfg


def base_url_from(values, door=LOOKUP, origins=None):
    """The API base URL from ``api_url``, ``subdomain`` or ``region``.

    The one set at the most specific source wins (a task argument or lookup keyword over a variable,
    over the environment, over ansible.cfg); at the same level ``api_url`` beats ``subdomain``,
    which beats ``region``. So ``subdomain='other'`` in a lookup is not overridden by
    ``ONELOGIN_API_URL`` in the environment.
    """
    origins = origins or {}
    candidates = [name for name in _HOST_OPTIONS
                  if values.get(name) and not (name == 'region' and origins.get('region') == 'default')]
    chosen = min(candidates, key=lambda name: (_source_rank(origins.get(name)), _HOST_OPTIONS.index(name)),
                 default='region')
    if chosen == 'api_url':
        return normalize_api_url(values['api_url'], door)
    if chosen == 'subdomain':
        subdomain = values['subdomain']
        if not _SUBDOMAIN.match(subdomain):
            hint = ''
            if '.' in subdomain or '/' in subdomain:
                hint = (' Give only the first label (for https://acme.onelogin.com that is "acme"), or give the '
                        'whole URL as api_url.')
            raise OneLoginError('The OneLogin subdomain %r is not a valid host name label.%s Check %s.',
                                subdomain, hint, describe_sources('subdomain', door))
        return 'https://%s.onelogin.com' % subdomain.lower()
    region = values.get('region') or 'us'
    if region not in ('us', 'eu'):
        raise OneLoginError('Unknown OneLogin region %r: use us or eu. Check %s.', region,
                            describe_sources('region', door))
    return 'https://api.%s.onelogin.com' % region


def is_loopback(host):
    if host.lower() == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_USERINFO = re.compile(r'(?<=://)[^/@]*@')
_SUBDOMAIN = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')


def normalize_api_url(api_url, door=LOOKUP):
    where = describe_sources('api_url', door)
    shown = _USERINFO.sub('********@', api_url)  # a password in the URL is never echoed
    if _CONTROL.search(api_url):
        raise OneLoginError('The OneLogin api_url contains a control character. Check %s.', where)
    try:
        parts = urlsplit(api_url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise OneLoginError('The OneLogin api_url %r is not a valid URL. Check %s.', shown, where) from None
    if parts.scheme not in ('http', 'https') or not host:
        raise OneLoginError(
            'The OneLogin api_url %r is not an absolute http(s) URL: give scheme and host, for example '
            'https://acme.onelogin.com. Check %s.', shown, where)
    if parts.username is not None or parts.password is not None:
        raise OneLoginError(
            'The OneLogin api_url must not contain a user name or password; pass credentials with client_id and '
            'client_secret. Check %s.', where)
    if parts.path not in ('', '/') or parts.query or parts.fragment:
        raise OneLoginError(
            'The OneLogin api_url %r has a path, query or fragment; give only scheme, host and optional port '
            '(for example https://acme.onelogin.com), the collection adds the API paths. Check %s.', shown, where)
    if parts.scheme == 'http' and not is_loopback(host):
        raise OneLoginError(
            'Refusing to send the OneLogin client secret in clear text to %s: a plain http:// api_url is allowed '
            'only for a loopback host (127.0.0.0/8, ::1, localhost), such as the bundled emulator. '
            'Use https://, and check %s.', host, where)
    netloc = '[%s]' % host if ':' in host else host.lower()
    if port is not None:
        netloc = '%s:%d' % (netloc, port)
    return '%s://%s' % (parts.scheme, netloc)


def candidate_secrets(direct, variables=None):
    """Every value that may be the client secret, to scrub from messages (a safety net only)."""
    found = [(direct or {}).get(name) for name in SECRET_OPTIONS]
    defs = C.config.get_configuration_definitions('lookup', _config_name()) or {}
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


# Settings already resolved in this process. Lazy templating evaluates a lookup again at every use,
# so one worker often resolves the same options many times. The key holds every input that can
# change within a process: the direct options, the option variables, the environment variables and
# the working folder (ansible.cfg is read once per process). Inputs that are templates, vaulted or
# not plain scalars are not memoised.
_RESOLVED = {}
_RESOLVED_MAX = 32
_ABSENT = ('sso.onelogin: absent',)


class _NotPlain(Exception):
    pass


def _plain(value):
    if value is None or type(value) in (bool, int, float):
        return value
    if isinstance(value, str):
        if '{{' in value or '{%' in value:
            raise _NotPlain()
        return str.__str__(value)
    raise _NotPlain()


def _memo_key(direct, variables, door):
    """The inputs of a resolution, or None when they cannot be memoised."""
    defs = definitions()
    try:
        parts = [door, tuple(sorted((str(name), _plain(value)) for name, value in (direct or {}).items()))]
        for name in CONNECTION_OPTIONS:
            spec = defs[name]
            if variables is not None:
                for entry in spec.get('vars') or []:
                    var = entry['name']
                    parts.append(_plain(variables[var]) if var in variables else _ABSENT)
            for entry in spec.get('env') or []:
                parts.append(os.environ.get(entry['name']))
        parts += [os.environ.get('XDG_CACHE_HOME'), os.environ.get('HOME'), os.getcwd(),  # cache_dir
                  id(C.config), getattr(C.config, '_config_file', None)]  # which ansible.cfg
        return tuple(parts)
    except Exception:  # _NotPlain, or a variable that fails to template: resolve without the memo
        return None


def resolve(direct, variables=None, door=LOOKUP, templar=None):
    """Resolve and check the connection options in one call."""
    key = _memo_key(direct, variables, door)
    settings = _RESOLVED.get(key) if key is not None else None
    if settings is None:
        values, origins = collect(direct, variables=variables, door=door, templar=templar)
        settings = settings_from(values, door=door, origins=origins)
        if key is not None:
            if len(_RESOLVED) >= _RESOLVED_MAX:
                _RESOLVED.clear()
            _RESOLVED[key] = settings
    return settings
