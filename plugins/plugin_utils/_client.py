# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""OneLogin's token endpoints: exchange, revoke and rate limit.

Imported only when a token has to be minted (or revoked, or the rate limit asked), so that the
cached path of the lookup never pays for importing ``requests``. Every number and text taken from
a server is bounded (a lifetime, a token); every message is a fixed text with the outside words as
values, scrubbed of every form in which a secret went over the wire: the client secret, the HTTP
Basic value, the access tokens.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import re
import time

from ansible_collections.sso.onelogin.plugins.plugin_utils._calls import call, scrubbed, what_came
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._scrub import basic_credentials
from ansible_collections.sso.onelogin.plugins.plugin_utils._timeutil import iso8601, parse_timestamp
from ansible_collections.sso.onelogin.plugins.plugin_utils._transport import require_requests

TOKEN_PATHS = {'v2': '/auth/oauth2/v2/token', 'v1': '/auth/oauth2/token'}
REVOKE_PATH = '/auth/oauth2/revoke'
RATE_LIMIT_PATH = '/auth/rate_limit'
USER_AGENT = 'sso.onelogin-ansible-collection'
_HEADERS = {'Content-Type': 'application/json', 'Accept': 'application/json', 'User-Agent': USER_AGENT}
# Fixed text: what a 401 to the rate limit call means (the credentials are not in that request).
_ADVICE_401_RATE_LIMIT = (
    ' The run\'s token was refused: it expired, was revoked, or (with token_api v1) was invalidated by a newer token '
    'minted elsewhere for these credentials. Obtain a new one with sso.onelogin.onelogin_token and force: true, then '
    'ask again.')

# Bounds on what a server hands back.
DOCUMENTED_LIFETIME = 36000
MAX_LIFETIME = 10 * DOCUMENTED_LIFETIME  # an expires_in above this is refused
MAX_TOKEN = 8192  # characters of an access token
_TOKEN = re.compile(r'[\x21-\x7e]+')  # printable ASCII, no spaces: safe in a header and a message
_DIGITS = re.compile(r'[0-9]{1,15}')  # ASCII digits only (str.isdigit takes '²')


# -- the three calls ---------------------------------------------------------------------------------------------------

def exchange(settings, now=time.time, sleep=time.sleep):
    """Exchange the client credentials for a token; return the token record (a dict).

    The record: ``access_token``, ``token_type``, ``created_at`` (ISO 8601 as OneLogin gave it, or
    the local time of the request), ``expires_at`` (epoch seconds), ``account_id``, ``api_url``,
    ``token_api``, ``client_id``. Passing failures are retried within ``retry_timeout``. Every
    message of a failure is scrubbed of the secrets, whatever the server put in its answer.
    """
    require_requests()
    headers = _client_auth(settings)
    path = TOKEN_PATHS[settings.token_api]
    hidden = _secrets(settings)
    with scrubbed(hidden):
        requested_at, response, body = call(settings, 'POST', path, 'token request', now, sleep, hidden,
                                            headers=headers, json={'grant_type': 'client_credentials'})
        payload = _token_payload(body)
        if payload is None:
            error = OneLoginError('The token endpoint %s answered HTTP %d with ', settings.base_url + path,
                                  response.status_code)
            error = what_came(error, response, body, hidden, 'an access_token')
            raise error.extended('. Check that the host (%s) is OneLogin\'s API and that token_api (%s) is right.',
                                 settings.where('api_url'), settings.where('token_api'))
        return make_record(payload, settings, requested_at)


def revoke(settings, access_token, now=time.time, sleep=time.sleep):
    """Revoke ``access_token`` (``POST /auth/oauth2/revoke``, as the credentials that minted it)."""
    require_requests()
    hidden = _secrets(settings, access_token)
    with scrubbed(hidden):
        _check_token(access_token, settings, 'revoke')
        headers = dict(_HEADERS, Authorization=_custom_auth(settings))  # the form OneLogin documents for revoke
        call(settings, 'POST', REVOKE_PATH, 'revoke request', now, sleep, hidden, headers=headers,
             json={'access_token': access_token})


def rate_limit(settings, access_token, now=time.time, sleep=time.sleep):
    """``{limit, remaining, reset}`` from ``GET /auth/rate_limit``, asked with ``access_token``."""
    require_requests()
    hidden = _secrets(settings, access_token)
    with scrubbed(hidden):
        _check_token(access_token, settings, 'rate limit')
        headers = dict(_HEADERS, Authorization='bearer:%s' % access_token)  # the documented form
        _requested_at, response, body = call(settings, 'GET', RATE_LIMIT_PATH, 'rate limit request', now, sleep,
                                             hidden, headers=headers, advice_401=_ADVICE_401_RATE_LIMIT)
        data = body.get('data') if isinstance(body, dict) else None
        values = {}
        for name, key in (('limit', 'X-RateLimit-Limit'), ('remaining', 'X-RateLimit-Remaining'),
                          ('reset', 'X-RateLimit-Reset')):
            value = data.get(key) if isinstance(data, dict) else None
            if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2 ** 31:
                error = OneLoginError('The rate limit endpoint %s answered HTTP %d with ',
                                      settings.base_url + RATE_LIMIT_PATH, response.status_code)
                if data is None:
                    error = what_came(error, response, body, hidden, 'data')
                else:
                    error = error.extended('data without a valid ').extended(key)
                raise error.extended('. Check that the host (%s) is OneLogin\'s API.', settings.where('api_url'))
            values[name] = value
        return values


def make_record(payload, settings, requested_at):
    """The token record of a token answer's ``payload`` (see :func:`exchange`); OneLoginError if it is unusable."""
    token = payload.get('access_token')
    if not isinstance(token, str) or not token:
        raise OneLoginError('OneLogin answered without an access token. Check the host (%s).',
                            settings.where('api_url'))
    if len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        raise OneLoginError(
            'OneLogin answered with a malformed access token (not shown): it is longer than %d characters or holds '
            'characters other than printable ASCII without spaces, such as a line break. Check the host (%s).',
            MAX_TOKEN, settings.where('api_url'))
    lifetime = payload.get('expires_in')
    if isinstance(lifetime, str) and _DIGITS.fullmatch(lifetime.strip()):
        lifetime = int(lifetime)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        raise OneLoginError('OneLogin answered without a valid expires_in (a positive number of seconds). Check the '
                            'host (%s).', settings.where('api_url'))
    if lifetime > MAX_LIFETIME:
        raise OneLoginError(
            'OneLogin answered with an expires_in of %d seconds, more than the %d (ten times the documented token '
            'lifetime of %d s) this collection accepts; the token was not used. Check the host (%s).',
            min(lifetime, 10 ** 30), MAX_LIFETIME, DOCUMENTED_LIFETIME, settings.where('api_url'))
    created = parse_timestamp(payload.get('created_at'))
    if created is not None and abs(created - requested_at) > MAX_LIFETIME:
        created = None  # absurdly far from the request (a year 1 or 9999): as if absent
    # Expiry counts from when OneLogin created the token (v2 may hand back an older one), but never
    # later than a full lifetime after this request: a controller clock behind the server's must
    # not make a token look longer-lived than it is.
    expires_at = requested_at + lifetime
    if created is not None:
        expires_at = min(created + lifetime, expires_at)
    account_id = payload.get('account_id')
    token_type = payload.get('token_type')
    if not (isinstance(token_type, str) and len(token_type) <= 64 and _TOKEN.fullmatch(token_type)):
        token_type = 'bearer'
    return {
        'access_token': token,
        'token_type': token_type,
        'created_at': iso8601(created if created is not None else requested_at),
        'expires_at': float(expires_at),
        'account_id': account_id if isinstance(account_id, int) and not isinstance(account_id, bool) else None,
        'api_url': settings.base_url,
        'token_api': settings.token_api,
        'client_id': settings.client_id,
    }


# -- credentials and secrets -------------------------------------------------------------------------------------------


def _custom_auth(settings):
    return 'client_id:%s, client_secret:%s' % (settings.client_id, settings.client_secret)


def _client_auth(settings):
    """Headers of a token request: v2 HTTP Basic, as the official SDKs send it; v1 OneLogin's own header.

    The Basic value is built here, as ``_scrub.basic_credentials`` (UTF-8), not by ``requests``
    (latin-1): what is sent is exactly what is scrubbed, and what the emulator decodes.
    """
    if settings.token_api == 'v1':
        return dict(_HEADERS, Authorization=_custom_auth(settings))
    return dict(_HEADERS, Authorization='Basic ' + basic_credentials(settings.client_id, settings.client_secret))


def _secrets(settings, *tokens):
    """Every secret a request may carry: the settings' secrets, the HTTP Basic value of the credentials, tokens.

    A header holding a secret as is (``client_id:…, client_secret:…``, ``bearer:…``) is covered
    by the secret itself; ``scrub`` also replaces the URL-encoded and escaped forms.
    """
    return tuple(settings.secrets) + (basic_credentials(settings.client_id, settings.client_secret),) + tokens


def _check_token(token, settings, what):
    """Refuse a token that cannot go into a header as is; the message shows none of it."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        raise OneLoginError('The access token for the ').extended(what).extended(
            ' request is malformed (not shown): it is empty, longer than %d characters or holds characters other '
            'than printable ASCII without spaces, such as a line break; nothing was sent. Obtain a new token with '
            'sso.onelogin.onelogin_token and force: true (host: %s).', MAX_TOKEN, settings.where('api_url'))


def _token_payload(body):
    """The token object of a v2 (flat) or v1 (``data[0]``) answer, or None."""
    if not isinstance(body, dict):
        return None
    if 'access_token' in body:
        return body
    data = body.get('data')
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    if isinstance(data, dict) and 'access_token' in data:
        return data
    return None
