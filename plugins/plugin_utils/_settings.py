# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""Validated connection settings: the checks of the resolved values and the API base URL.

Pure code: the values come from :mod:`_options` (which reads them from their sources); the only thing
asked of Ansible is the wording of "where can this be set", for messages.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import hashlib
import ipaddress
import os
import re
from collections import namedtuple
from urllib.parse import urlsplit

from ansible_collections.sso.onelogin.plugins.plugin_utils._folders import default_persistent_directory
from ansible_collections.sso.onelogin.plugins.plugin_utils._definitions import LOOKUP
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

# OneLogin documents a token lifetime of 10 hours.
DOCUMENTED_TOKEN_LIFETIME = 36000
CACHE_MODES = ('run', 'persistent', 'none')
# The sources of an option, most specific first: the order of precedence (origins start with these words,
# or are the path of ansible.cfg).
SOURCE_ORDER = ('Direct', 'var', 'env', 'ini', 'default')


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
        from ansible_collections.sso.onelogin.plugins.plugin_utils._scrub import basic_credentials
        return (self.client_secret, basic_credentials(self.client_id, self.client_secret))

    def where(self, name):
        return where(name, self.door)


def where(name, door):
    """Where option ``name`` can be set, in words (for messages; see _option_errors)."""
    from ansible_collections.sso.onelogin.plugins.plugin_utils._option_errors import describe_sources
    return describe_sources(name, door)


# Bounds of the number options: (lowest, highest). OneLogin documents a token lifetime of 10 hours.
BOUNDS = {'timeout': (1, 3600), 'retry_timeout': (0, 3600), 'min_ttl': (0, DOCUMENTED_TOKEN_LIFETIME - 1)}
_BOUND_NOTES = {'timeout': '', 'retry_timeout': ' (0 turns retries off)',
                'min_ttl': ' (below the token lifetime of 36000 seconds)'}
_LABELS = {'client_id': 'client ID', 'client_secret': 'client secret'}


def _has_control(text):
    return any(char < ' ' or char == '\x7f' for char in text)


def _check_credential(name, value, door):
    if value is None:
        raise OneLoginError('No OneLogin %s was given (an empty value counts as not given). Set %s.',
                            _LABELS[name], where(name, door))
    # OneLogin issues client IDs and secrets as hex strings; anything outside printable ASCII is a paste error.
    if not (value.isascii() and value.isprintable()):
        if _has_control(value):
            raise OneLoginError('The OneLogin %s contains a control character (such as a line break); nothing was '
                                'sent. Check %s for stray characters, for example a trailing newline from a file.',
                                name, where(name, door))
        raise OneLoginError('The OneLogin %s contains a character outside printable ASCII; nothing was sent. OneLogin '
                            'issues client IDs and secrets as ASCII (hexadecimal) strings, so this is most likely a '
                            'copy-and-paste error. Check %s.', name, where(name, door))
    if value != value.strip():
        raise OneLoginError('The OneLogin %s starts or ends with a space; nothing was sent. Check %s.', name,
                            where(name, door))


def settings_from(values, door=LOOKUP, origins=None):
    """Check resolved option values and build :class:`Settings`; raise OneLoginError on bad input."""
    client_id, client_secret = values.get('client_id'), values.get('client_secret')
    _check_credential('client_id', client_id, door)
    _check_credential('client_secret', client_secret, door)

    numbers = {}
    for name, (lowest, highest) in BOUNDS.items():
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not lowest <= value <= highest:
            raise OneLoginError('The OneLogin option %s must be a whole number of seconds from %d to %d%s, not %s. '
                                'Check %s.', name, lowest, highest, _BOUND_NOTES[name], str(value)[:40], where(name, door))
        numbers[name] = value
    cache = values.get('cache') or 'run'
    if cache not in CACHE_MODES:  # the choices are checked when converting; this guards direct callers
        raise OneLoginError('Unknown OneLogin cache mode %r: use run, persistent or none. Check %s.',
                            str(cache), where('cache', door))
    token_api = values.get('token_api') or 'v2'
    if token_api not in ('v2', 'v1'):
        raise OneLoginError('Unknown OneLogin token_api %r: use v2 or v1. Check %s.', str(token_api), where('token_api', door))
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
                                subdomain, hint, where('subdomain', door))
        return 'https://%s.onelogin.com' % subdomain.lower()
    region = values.get('region') or 'us'
    if region not in ('us', 'eu'):
        raise OneLoginError('Unknown OneLogin region %r: use us or eu. Check %s.', region, where('region', door))
    return 'https://api.%s.onelogin.com' % region


def is_loopback(host):
    if host.lower() == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_SUBDOMAIN = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')


def _shown_url(api_url):
    return re.sub(r'(?<=://)[^/@]*@', '********@', api_url)  # a password in the URL is never echoed


def normalize_api_url(api_url, door=LOOKUP):
    if _has_control(api_url):
        raise OneLoginError('The OneLogin api_url contains a control character. Check %s.', where('api_url', door))
    try:
        parts = urlsplit(api_url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise OneLoginError('The OneLogin api_url %r is not a valid URL. Check %s.', _shown_url(api_url),
                            where('api_url', door)) from None
    if parts.scheme not in ('http', 'https') or not host:
        raise OneLoginError(
            'The OneLogin api_url %r is not an absolute http(s) URL: give scheme and host, for example '
            'https://acme.onelogin.com. Check %s.', _shown_url(api_url), where('api_url', door))
    if parts.username is not None or parts.password is not None:
        raise OneLoginError(
            'The OneLogin api_url must not contain a user name or password; pass credentials with client_id and '
            'client_secret. Check %s.', where('api_url', door))
    if parts.path not in ('', '/') or parts.query or parts.fragment:
        raise OneLoginError(
            'The OneLogin api_url %r has a path, query or fragment; give only scheme, host and optional port '
            '(for example https://acme.onelogin.com), the collection adds the API paths. Check %s.',
            _shown_url(api_url), where('api_url', door))
    if parts.scheme == 'http' and not is_loopback(host):
        raise OneLoginError(
            'Refusing to send the OneLogin client secret in clear text to %s: a plain http:// api_url is allowed '
            'only for a loopback host (127.0.0.0/8, ::1, localhost), such as the bundled emulator. '
            'Use https://, and check %s.', host, where('api_url', door))
    netloc = '[%s]' % host if ':' in host else host.lower()
    if port is not None:
        netloc = '%s:%d' % (netloc, port)
    return '%s://%s' % (parts.scheme, netloc)
