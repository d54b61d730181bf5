# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The options model shared by the module and the lookup.

The options are declared once, in the ``sso.onelogin.connection`` doc fragment. Ansible's
ConfigManager loads them (with their env, vars and ansible.cfg sources) as the configuration
definitions of the ``sso.onelogin.onelogin_token`` lookup; both doors resolve them through
ConfigManager, so precedence, type coercion and defaults are Ansible's own and identical for
the module and the lookup. This module then checks the values and derives the base URL.
"""

from __future__ import annotations

import configparser
import hashlib
import ipaddress
import json
import os
import re
import tempfile
from urllib.parse import urlsplit

from ansible import constants as C
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import persistent_directory, run_directory
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

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

# Patterns, compiled by the re module on first use: every forked worker imports this module, and
# most of them never need most of these.
_CONTROL = r'[\x00-\x1f\x7f]'
_SUBDOMAIN = r'^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$'
_NATIVE = {'str': str, 'string': str, 'path': str, 'bool': bool, 'boolean': bool, 'int': int, 'integer': int}
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
                                'the sso.onelogin collection: a file of it is missing.' % LOOKUP_NAME)
        _CONFIG_NAME.append(getattr(plugin_class, '_load_name', None) or LOOKUP_NAME)
    return _CONFIG_NAME[0]


def definitions():
    """Return ConfigManager's definitions of the connection options."""
    defs = C.config.get_configuration_definitions('lookup', _config_name())
    missing = [name for name in CONNECTION_OPTIONS if name not in (defs or {})]
    if missing:
        raise OneLoginError(
            'The option definitions of %s could not be loaded (missing: %s). Reinstall the sso.onelogin '
            'collection: a file of it is missing or damaged.' % (LOOKUP_NAME, ', '.join(missing)))
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


def _template(value, templar):
    # ansible-core < 2.19 hands lookups the raw, untemplated variables; 2.19+ templates them
    # lazily on access (and ignores untrusted strings here). Template only what looks like one.
    if templar is not None and isinstance(value, str) and ('{{' in value or '{%' in value):
        return templar.template(value)
    return value


def _native(value, type_name):
    """Plain Python values: no 2.19+ data tags, no <2.19 unsafe wrappers, vaulted values decrypted."""
    if value is None:
        return None
    kind = _NATIVE.get(type_name, str)
    if kind is str and isinstance(value, str):
        return str.__str__(value)  # an exact str even for subclasses that return themselves from __str__
    return kind(value)


def collect(direct, variables=None, door=LOOKUP, templar=None):
    """Resolve every connection option with Ansible's precedence; return ``(values, origins)``.

    ``direct``: task arguments (module) or lookup keywords. ``variables``: the task's variables
    (lookup only; the module does not read inventory variables).
    """
    defs = definitions()
    values, origins = {}, {}
    for name in CONNECTION_OPTIONS:
        spec = defs[name]
        try:
            value, origin = C.config.get_config_value_and_origin(
                name, plugin_type='lookup', plugin_name=_config_name(), variables=variables, direct=direct)
            if origin and str(origin).startswith('var'):
                value = _template(value, templar)
            value = _native(value, spec.get('type'))
        except OneLoginError:
            raise
        except Exception:  # ConfigManager's type and choice errors; their text may echo the value
            raise OneLoginError(_invalid_message(name, spec, direct, door)) from None
        if spec.get('type') in ('bool', 'boolean'):
            # ConfigManager reads booleans loosely ("maybe" is false); a typo must not turn TLS checks off.
            raw = _raw_value(name, spec, origin, direct, variables, templar)
            if raw is not None and not isinstance(raw, bool):
                try:
                    boolean(raw, strict=True)
                except TypeError:
                    raise OneLoginError(_invalid_message(name, spec, direct, door)) from None
        values[name] = value
        origins[name] = origin
    return values, origins


def _raw_value(name, spec, origin, direct, variables, templar):
    """The value of option ``name`` as written at its source, before ConfigManager converted it."""
    origin = str(origin or '')
    if origin == 'Direct':
        return (direct or {}).get(name)
    if origin.startswith('var:'):
        return _template((variables or {}).get(origin[4:].strip()), templar)
    if origin.startswith('env:'):
        return os.environ.get(origin[4:].strip())
    if origin and origin != 'default' and os.path.isfile(origin):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(origin, encoding='utf-8')
        except configparser.Error:
            return None
        for entry in spec.get('ini') or []:
            if parser.has_option(entry['section'], entry['key']):
                return parser.get(entry['section'], entry['key'])
    return None


def _invalid_message(name, spec, direct, door):
    expected = {'int': 'a whole number', 'integer': 'a whole number', 'bool': 'a boolean (true or false)',
                'boolean': 'a boolean (true or false)'}.get(spec.get('type'), 'a string')
    if spec.get('choices'):
        expected = 'one of %s' % ', '.join(str(c) for c in spec['choices'])
    shown = ''
    if name not in SECRET_OPTIONS and direct and name in direct:
        shown = ' (got %r)' % (str(direct[name]),)
    return 'Invalid value for the OneLogin option %s%s: expected %s. Check %s.' % (
        name, shown, expected, describe_sources(name, door))


class Settings:
    """Validated connection settings, immutable. ``repr`` never shows the secret.

    A plain class rather than a dataclass: building a dataclass costs milliseconds at import, and
    every forked worker that templates the lookup imports this module.
    """

    __slots__ = ('client_id', 'client_secret', 'base_url', 'token_api', 'validate_certs', 'timeout', 'min_ttl',
                 'retry_timeout', 'cache', 'cache_dir', 'door')
    _COMPARED = __slots__[:-1]  # ``door`` only says which door asked, for messages

    def __init__(self, client_id, client_secret, base_url, token_api='v2', validate_certs=True, timeout=10,
                 min_ttl=300, retry_timeout=30, cache='run', cache_dir=None, door=LOOKUP):
        values = dict(client_id=client_id, client_secret=client_secret, base_url=base_url, token_api=token_api,
                      validate_certs=validate_certs, timeout=timeout, min_ttl=min_ttl, retry_timeout=retry_timeout,
                      cache=cache, cache_dir=cache_dir,  # cache_dir: the checked folder of cache=persistent, else None
                      door=door)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError('Settings are immutable')

    def _compared(self):
        return tuple(getattr(self, name) for name in self._COMPARED)

    def __eq__(self, other):
        return isinstance(other, Settings) and self._compared() == other._compared()

    def __hash__(self):
        return hash(self._compared())

    def __repr__(self):
        shown = ', '.join('%s=%r' % (name, getattr(self, name)) for name in self.__slots__ if name != 'client_secret')
        return 'Settings(%s)' % shown

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
        return (self.client_secret,)

    def where(self, name):
        return describe_sources(name, self.door)


def settings_from(values, door=LOOKUP, origins=None):
    """Check resolved option values and build :class:`Settings`; raise OneLoginError on bad input."""
    def where(name):
        return describe_sources(name, door)

    client_id = values.get('client_id')
    client_secret = values.get('client_secret')
    if client_id is None or not str(client_id).strip():
        empty = ' (it is empty)' if client_id is not None else ''
        raise OneLoginError('No OneLogin client ID was given%s. Set %s.' % (empty, where('client_id')))
    if client_secret is None or not str(client_secret).strip():
        empty = ' (it is empty)' if client_secret is not None else ''
        raise OneLoginError('No OneLogin client secret was given%s. Set %s.' % (empty, where('client_secret')))
    if re.search(_CONTROL, client_id):
        raise OneLoginError(
            'The OneLogin client_id contains a control character (such as a line break); nothing was sent. '
            'Check %s for stray characters.' % where('client_id'))
    if re.search(_CONTROL, client_secret):
        raise OneLoginError(
            'The OneLogin client_secret contains a control character (such as a line break); nothing was sent. '
            'Check %s for stray characters, for example a trailing newline from a file.' % where('client_secret'))
    if client_id != client_id.strip() or client_secret != client_secret.strip():
        raise OneLoginError(
            'The OneLogin client_id or client_secret starts or ends with a space; nothing was sent. '
            'Check %s and %s.' % (where('client_id'), where('client_secret')))

    timeout = values.get('timeout')
    if timeout is None or timeout <= 0:
        raise OneLoginError('The OneLogin option timeout must be a positive number of seconds, not %s. Check %s.'
                            % (timeout, where('timeout')))
    min_ttl = values.get('min_ttl')
    if min_ttl is None or min_ttl < 0 or min_ttl >= DOCUMENTED_TOKEN_LIFETIME:
        raise OneLoginError(
            'The OneLogin option min_ttl must be at least 0 and below the token lifetime of %d seconds, not %s. '
            'Check %s.' % (DOCUMENTED_TOKEN_LIFETIME, min_ttl, where('min_ttl')))
    retry_timeout = values.get('retry_timeout')
    if retry_timeout is None or retry_timeout < 0:
        raise OneLoginError(
            'The OneLogin option retry_timeout must be 0 (no retries) or a positive number of seconds, not %s. '
            'Check %s.' % (retry_timeout, where('retry_timeout')))
    cache = values.get('cache') or 'run'
    if cache not in CACHE_MODES:  # ConfigManager checks the choices too; this guards direct callers
        raise OneLoginError('Unknown OneLogin cache mode %r: use run, persistent or none. Check %s.'
                            % (cache, where('cache')))
    cache_dir = None
    if cache == 'persistent':
        cache_dir = persistent_directory(values.get('cache_dir'), where('cache_dir'))

    return Settings(
        client_id=client_id,
        client_secret=client_secret,
        base_url=base_url_from(values, door, origins),
        token_api=values.get('token_api') or 'v2',
        validate_certs=bool(values.get('validate_certs', True)),
        timeout=int(timeout),
        min_ttl=int(min_ttl),
        retry_timeout=int(retry_timeout),
        cache=cache,
        cache_dir=cache_dir,
        door=door,
    )


_HOST_OPTIONS = ('api_url', 'subdomain', 'region')


def _source_rank(origin):
    """Ansible's precedence of an option's source: lower wins (as in ConfigManager)."""
    origin = str(origin or '')
    if origin == 'Direct':
        return 0
    for rank, prefix in enumerate(('var', 'keyword', 'cli', 'env'), start=1):
        if origin.startswith(prefix):
            return rank
    if origin == 'default':
        return 7
    return 6 if origin else 8  # a configuration file, or unknown


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
        if not re.match(_SUBDOMAIN, subdomain):
            hint = ''
            if '.' in subdomain or '/' in subdomain:
                hint = (' Give only the first label (for https://acme.onelogin.com that is "acme"), or give the '
                        'whole URL as api_url.')
            raise OneLoginError('The OneLogin subdomain %r is not a valid host name label.%s Check %s.'
                                % (subdomain, hint, describe_sources('subdomain', door)))
        return 'https://%s.onelogin.com' % subdomain.lower()
    region = values.get('region') or 'us'
    if region not in ('us', 'eu'):
        raise OneLoginError('Unknown OneLogin region %r: use us or eu. Check %s.'
                            % (region, describe_sources('region', door)))
    return 'https://api.%s.onelogin.com' % region


def is_loopback(host):
    if host.lower() == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_USERINFO = r'(?<=://)[^/@]*@'


def normalize_api_url(api_url, door=LOOKUP):
    where = describe_sources('api_url', door)
    shown = re.sub(_USERINFO, '********@', api_url)  # a password in the URL is never echoed
    if re.search(_CONTROL, api_url):
        raise OneLoginError('The OneLogin api_url contains a control character. Check %s.' % where)
    try:
        parts = urlsplit(api_url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise OneLoginError('The OneLogin api_url %r is not a valid URL. Check %s.' % (shown, where)) from None
    if parts.scheme not in ('http', 'https') or not host:
        raise OneLoginError(
            'The OneLogin api_url %r is not an absolute http(s) URL: give scheme and host, for example '
            'https://acme.onelogin.com. Check %s.' % (shown, where))
    if parts.username is not None or parts.password is not None:
        raise OneLoginError(
            'The OneLogin api_url must not contain a user name or password; pass credentials with client_id and '
            'client_secret. Check %s.' % where)
    if parts.path not in ('', '/') or parts.query or parts.fragment:
        raise OneLoginError(
            'The OneLogin api_url %r has a path, query or fragment; give only scheme, host and optional port '
            '(for example https://acme.onelogin.com), the collection adds the API paths. Check %s.'
            % (shown, where))
    if parts.scheme == 'http' and not is_loopback(host):
        raise OneLoginError(
            'Refusing to send the OneLogin client secret in clear text to %s: a plain http:// api_url is allowed '
            'only for a loopback host (127.0.0.0/8, ::1, localhost), such as the bundled emulator. '
            'Use https://, and check %s.' % (host, where))
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
# so one worker often resolves the same options many times; ConfigManager's resolution is most of
# the cost of a cached call. The key holds every input that can change within a process: the
# direct options, the option variables and the environment variables (ansible.cfg is read once per
# process). Inputs that are templates, vaulted or not plain scalars are not memoised.
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
        parts += [os.environ.get('XDG_CACHE_HOME'), os.environ.get('HOME'),  # the default cache_dir
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
