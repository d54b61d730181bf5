# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The one place that talks HTTP to OneLogin: the client-credentials token exchange.

Imported only when a token has to be minted, so that the cached path of the lookup never
pays for importing ``requests``.
"""

from __future__ import annotations

import time

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised through a stub in the unit tests
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError, scrub
from ansible_collections.sso.onelogin.plugins.plugin_utils._timeutil import iso8601, parse_timestamp

TOKEN_PATHS = {'v2': '/auth/oauth2/v2/token', 'v1': '/auth/oauth2/token'}
USER_AGENT = 'sso.onelogin-ansible-collection'


def _require_requests():
    if not HAS_REQUESTS:
        raise OneLoginError(
            'The Python library "requests" is needed on the Ansible controller to obtain a OneLogin token, and the '
            'Python running ansible-core cannot import it (%s). Install it into that environment, for example with '
            '"python -m pip install requests" using the same Python as ansible-core (ansible --version shows '
            'which one), or add "requests" to your execution environment.' % (REQUESTS_IMPORT_ERROR,))


def _error_text(body):
    """Pull OneLogin's own words out of any of its error shapes."""
    if not isinstance(body, dict):
        return None
    status = body.get('status')
    if isinstance(status, dict):
        return status.get('message') or status.get('type')
    for key in ('message', 'error_description', 'description', 'error', 'name'):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _failure_code(http_status, body):
    """None for a success, else the status to explain: an error envelope inside an HTTP 200 counts.

    OneLogin's v2 endpoint has answered errors with HTTP 200 and ``status.error: true``; the code in
    the envelope says what went wrong. 0 means "an error, with no usable code".
    """
    if isinstance(body, dict):
        status = body.get('status')
        if isinstance(status, dict) and status.get('error') in (True, 'true'):
            try:
                code = int(status.get('code') or 0)
            except (TypeError, ValueError):
                code = 0
            return code if code >= 400 else (http_status if http_status >= 400 else 0)
        status_code = body.get('statusCode')
        if http_status < 300 and isinstance(status_code, int) and not isinstance(status_code, bool) and status_code >= 400:
            return status_code
    return http_status if http_status >= 400 else None


def describe_failure(code, http_status, detail, url, settings):
    """A message for a failed exchange: what happened, then what to check."""
    said = ' OneLogin said: "%s".' % str(detail)[:300] if detail else ''
    where = settings.where
    if code == 400:
        advice = ('The request was refused as malformed. Check that %s points at OneLogin and that token_api '
                  '(%s) matches the endpoint the tenant offers.' % (url, where('token_api')))
    elif code == 401:
        advice = ('The credentials were rejected. Check client_id and client_secret (%s; %s) and that they '
                  'belong to the tenant at %s.' % (where('client_id'), where('client_secret'), settings.base_url))
    elif code == 403:
        advice = 'The credentials may not generate tokens here. Check the API credential in the OneLogin admin portal.'
    elif code == 404:
        advice = ('There is no token endpoint at %s. Check the host (%s; %s; %s) and token_api (%s).'
                  % (url, where('api_url'), where('subdomain'), where('region'), where('token_api')))
    elif code == 429:
        advice = 'OneLogin is rate limiting these credentials. Wait and run again; avoid minting tokens per host.'
    elif code == 500:
        advice = ('OneLogin had an internal error. It also answers 500 when the user who created the API '
                  'credential has been deleted; if it persists, create a new credential.')
    elif code >= 500:
        advice = 'OneLogin is unavailable or overloaded. Try again later.'
    else:
        advice = 'Check the host (%s) and the credentials.' % where('api_url')
    shown = 'HTTP %d from %s' % (code or http_status, url)
    if code and code != http_status:
        shown += ', in the body of an HTTP %d answer' % http_status
    return 'OneLogin refused the token request (%s).%s %s' % (shown, said, advice)


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


def exchange(settings, now=time.time):
    """Exchange the client credentials for a token; return the token record (a dict).

    The record: ``access_token``, ``token_type``, ``created_at`` (ISO 8601 as OneLogin gave it, or
    the local time of the request), ``expires_at`` (epoch seconds), ``account_id``, ``api_url``,
    ``token_api``, ``client_id``. Every message of a failure is scrubbed of the secret, whatever
    the server put in its answer.
    """
    _require_requests()
    try:
        return _exchange(settings, now)
    except OneLoginError as exc:
        raise OneLoginError(scrub(exc, settings.secrets)) from None


def _exchange(settings, now):
    url = settings.base_url + TOKEN_PATHS[settings.token_api]
    headers = {'Content-Type': 'application/json', 'Accept': 'application/json', 'User-Agent': USER_AGENT}
    auth = None
    if settings.token_api == 'v1':
        headers['Authorization'] = 'client_id:%s, client_secret:%s' % (settings.client_id, settings.client_secret)
    else:
        auth = (settings.client_id, settings.client_secret)  # HTTP Basic, as the official SDKs send it
    requested_at = now()
    timed_out = ('OneLogin did not answer the token request to %s within %d s. Check the network and the host (%s), '
                 'or raise %s.' % (url, settings.timeout, settings.where('api_url'), settings.where('timeout')))
    try:
        response = requests.post(url, json={'grant_type': 'client_credentials'}, headers=headers, auth=auth,
                                 timeout=(settings.timeout, settings.timeout), verify=settings.validate_certs,
                                 allow_redirects=False)
        body = _json_or_none(response)
    except requests.exceptions.SSLError as exc:
        raise OneLoginError(
            'The TLS connection to %s failed: the certificate could not be verified, or the host does not speak TLS '
            'on that port (%s). Check the host (%s). Only for a test host with a self-signed certificate, turn off %s.'
            % (settings.base_url, _reason(exc), settings.where('api_url'), settings.where('validate_certs'))) from None
    except requests.exceptions.Timeout:
        raise OneLoginError(timed_out) from None
    except requests.exceptions.RequestException as exc:
        reason = _reason(exc)
        if 'timed out' in reason.lower():  # a body that stalls after the headers
            raise OneLoginError(timed_out) from None
        raise OneLoginError(
            'Could not reach OneLogin at %s (%s: %s). Check the host (%s) and the network from the controller.'
            % (url, type(exc).__name__, reason, settings.where('api_url'))) from None

    if 300 <= response.status_code < 400:
        raise OneLoginError(
            'OneLogin answered the token request to %s with a redirect (HTTP %d to %s); credentials are not sent '
            'on. Set the final host with %s.' % (url, response.status_code, response.headers.get('Location', '?')[:200],
                                                 settings.where('api_url')))
    code = _failure_code(response.status_code, body)
    if code is not None:
        raise OneLoginError(describe_failure(code, response.status_code, _error_text(body), url, settings))
    payload = _token_payload(body)
    if payload is None:
        kind = 'JSON without an access_token' if body is not None else 'a body that is not JSON (%s)' % (
            (response.headers.get('Content-Type') or 'no content type')[:100])
        raise OneLoginError(
            'The token endpoint %s answered HTTP %d with %s. Check that the host (%s) is OneLogin\'s API and that '
            'token_api (%s) is right.' % (url, response.status_code, kind, settings.where('api_url'),
                                          settings.where('token_api')))
    return make_record(payload, settings, requested_at)


def _json_or_none(response):
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _reason(exc):
    # requests wraps urllib3 errors several levels deep; the innermost says the most.
    inner = exc
    while getattr(inner, 'args', None) and isinstance(inner.args[0], Exception):
        inner = inner.args[0]
    reason = getattr(inner, 'reason', None) or inner
    return str(reason)[:300]


def make_record(payload, settings, requested_at):
    token = payload.get('access_token')
    if not isinstance(token, str) or not token:
        raise OneLoginError('OneLogin answered without an access token. Check the host (%s).'
                            % settings.where('api_url'))
    lifetime = payload.get('expires_in')
    if isinstance(lifetime, str) and lifetime.strip().isdigit():
        lifetime = int(lifetime)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        raise OneLoginError('OneLogin answered without a valid expires_in (a positive number of seconds). Check the '
                            'host (%s).' % settings.where('api_url'))
    created = parse_timestamp(payload.get('created_at'))
    # Expiry counts from when OneLogin created the token (v2 may hand back an older one), but never
    # later than a full lifetime after this request: a controller clock behind the server's must
    # not make a token look longer-lived than it is.
    expires_at = requested_at + lifetime
    if created is not None:
        expires_at = min(created + lifetime, expires_at)
    account_id = payload.get('account_id')
    return {
        'access_token': token,
        'token_type': str(payload.get('token_type') or 'bearer'),
        'created_at': iso8601(created if created is not None else requested_at),
        'expires_at': float(expires_at),
        'account_id': account_id if isinstance(account_id, int) else None,
        'api_url': settings.base_url,
        'token_api': settings.token_api,
        'client_id': settings.client_id,
    }
