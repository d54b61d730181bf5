# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""Reading OneLogin's answers to API calls: pages and cursors, rate-limit headers, error bodies.

Pure code over the headers and the decoded body of one answer; every number taken from them is
bounded, every text scrubbed and cut by the caller's ``clip``.

- v2 lists are bare JSON arrays; the next page is asked with ``cursor=<After-Cursor>`` and without
  ``limit``, ``page``, ``sort`` or ``sort_direction`` (OneLogin answers 400 "Requests can only have
  cursor xor pagination arguments" otherwise), keeping the caller's filters. Some cursors arrive
  URL-encoded (``...%3D%3D``): they are decoded once. No ``After-Cursor`` (or an empty one): last page.
- v1 lists come in an envelope ``{"status", "pagination": {"after_cursor", ...}, "data": [...]}``;
  the next page is asked with ``after_cursor``.
- Error bodies have several shapes (``statusCode``/``name``/``message``/``field``; ``status``/``error``/
  ``description``; v1's ``status`` envelope; ``message`` with ``errors``): :func:`error_of` reads them all.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

from collections import namedtuple
from urllib.parse import unquote

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

# Arguments a cursor request must not carry (the cursor holds them).
CURSOR_ARGUMENTS = ('limit', 'page', 'sort', 'sort_direction', 'cursor')
MAX_COUNT = 10 ** 9  # a Total-Count above this is not a OneLogin list
MAX_RATE = 10 ** 7
MAX_RESET = 86400  # seconds; OneLogin's rate-limit window is an hour
MAX_CURSOR = 4096
MAX_TEXT = 300  # characters kept of a server's words

Page = namedtuple('Page', ['items', 'next_query', 'cursor', 'total_count'])


class BadCursor(ValueError):
    """OneLogin sent a cursor that cannot be sent back as it is."""


def bounded_int(text, highest):
    """The whole number in header ``text`` if it is one from 0 to ``highest``; else None."""
    if isinstance(text, str):
        text = text.strip()
        if 0 < len(text) <= 12 and text.isascii() and text.isdigit() and int(text) <= highest:
            return int(text)
    return None


def rate_limit(headers):
    """``{limit, remaining, reset}`` from the X-RateLimit headers, each only when sent and in bounds."""
    found = {}
    for name, header, highest in (('limit', 'X-RateLimit-Limit', MAX_RATE),
                                  ('remaining', 'X-RateLimit-Remaining', MAX_RATE),
                                  ('reset', 'X-RateLimit-Reset', MAX_RESET)):
        value = bounded_int(headers.get(header), highest)
        if value is not None:
            found[name] = value
    return found


def read_page(headers, body, query):
    """The :class:`Page` an answer to a list request holds, or None when the answer is not a list.

    ``query``: the parameters of the request that got this answer. Raises BadCursor.
    """
    pagination = body.get('pagination') if isinstance(body, dict) else None
    if isinstance(pagination, dict) and isinstance(body.get('data'), list):  # v1's envelope
        cursor = pagination.get('after_cursor')
        if cursor is None or cursor == '':
            return Page(body['data'], None, None, None)
        cursor = _cursor(cursor)
        return Page(body['data'], dict(query, after_cursor=cursor), cursor, None)
    if not isinstance(body, list):
        return None
    total = bounded_int(headers.get('Total-Count'), MAX_COUNT)
    cursor = headers.get('After-Cursor')
    if cursor is None or not cursor.strip():
        return Page(body, None, None, total)
    cursor = _cursor(unquote(cursor.strip()))  # decode a URL-encoded cursor once, or it is sent encoded twice
    following = {name: value for name, value in query.items() if name not in CURSOR_ARGUMENTS}
    following['cursor'] = cursor
    return Page(body, following, cursor, total)


def _cursor(value):
    if not isinstance(value, str) or not 0 < len(value) <= MAX_CURSOR or not value.isascii() \
            or not value.isprintable() or ' ' in value:
        raise BadCursor()
    return value


def error_of(body, clip):
    """``{name, message}`` (and ``field`` when OneLogin named one) from an error body of any shape.

    ``clip``: a function that scrubs and cuts a server's text. Values missing from the body are None.
    """
    name = message = field = None
    if isinstance(body, dict):
        status = body.get('status')
        if isinstance(status, dict):  # v1: {"status": {"error", "code", "type", "message"}}
            name, message = status.get('type'), status.get('message')
        else:
            name = _first(body, 'name', 'error')
            message = _first(body, 'message', 'description', 'error_description')
            field = _first(body, 'field')
            errors = body.get('errors')
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                field = field or _first(errors[0], 'field')
                detail = errors[0].get('message')
                if isinstance(detail, list):
                    detail = '; '.join(str(part) for part in detail[:5])
                if isinstance(detail, str) and detail:
                    message = '%s: %s' % (message, detail) if message else detail
    found = {'name': _text(name, clip), 'message': _text(message, clip)}
    if _text(field, clip) is not None:
        found['field'] = _text(field, clip)
    return found


def _first(data, *keys):
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _text(value, clip):
    if not isinstance(value, str) or not value.strip():
        return None
    return clip(' '.join(value.split()), MAX_TEXT)


def refusal(status, http_status, method, url, fields, idempotent, where):
    """The OneLoginError for a status the request did not accept: what OneLogin said (``fields``), then what to do.

    ``http_status``: the answer's own status, when ``status`` came from an error envelope inside it.
    ``idempotent``: whether the method may be sent again; ``where``: the settings' "where is this option set".
    """
    error = OneLoginError('OneLogin answered HTTP %d to %s %s', status, method, url)
    if status != http_status:
        error = error.extended(' (in the body of an HTTP %d answer)', http_status)
    said = ': '.join(text for text in (fields['name'], fields['message']) if text)
    if said:
        error = error.extended(': %s', said)
    if fields.get('field'):
        error = error.extended(' (field %s)', fields['field'])
    error = error.extended('.')
    if status == 400:
        return error.extended(' OneLogin found the request malformed: check path, query and body.')
    if status == 401:
        return error.extended(' It also rejected the token minted after a first 401. Check that the API credential is '
                              'still active (%s).', where('client_id'))
    if status == 403:
        return error.extended(' The API credential may not do this: check its scope in the OneLogin admin portal.')
    if status == 404:
        return error.extended(' There is nothing at that path. To accept a missing object, add 404 to status_code.')
    if status == 429:
        return error.extended(' The rate limit of the OneLogin account is spent.')
    if status >= 500 and not idempotent:
        return error.extended(' OneLogin had an error; a %s is not sent again, as it may have been carried out. Check '
                              'in OneLogin before running the task again.', method)
    if status >= 500:
        return error.extended(' OneLogin had an error.')
    if status in (409, 422):
        return error
    return error.extended(' To accept this status, add it to status_code.')
