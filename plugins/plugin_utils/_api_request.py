# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""What a task or a lookup asks of OneLogin's API: a checked :class:`Request`.

The module ``sso.onelogin.onelogin_api`` and the lookup of the same name build their request here, so
both refuse the same things with the same words: a path that is not a path on the run's API host (the
bearer token never leaves the tenant), a query that is not flat, numbers out of bounds.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

from collections import namedtuple

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')
DEFAULT_STATUS_CODES = (200, 201, 202, 204)
DEFAULT_MAX_PAGES = 1000
# Bounds. OneLogin's lists default to 50 items a page and its SDK documents up to 100; a larger limit is OneLogin's to
# refuse, but above 1000 it is not a page size. More pages than MAX_PAGES is not a list to hold in memory.
MAX_PAGE_SIZE = 1000
MAX_PAGES = 100000
MAX_PATH = 2048

Request = namedtuple('Request', ['path', 'method', 'query', 'body', 'status_code', 'paginate', 'page_size',
                                 'max_pages'])


def request_from(path, method='GET', query=None, body=None, status_code=None, paginate=True, page_size=None,
                 max_pages=None, door='sso.onelogin.onelogin_api'):
    """A checked Request; OneLoginError naming the option for a bad value. ``door``: the module or lookup, for messages."""
    method = str(method or 'GET').upper()
    if method not in METHODS:
        raise OneLoginError('The method option of %s must be one of %s, not %s.', door, ', '.join(METHODS), method[:20])
    return Request(
        path=check_path(path, door),
        method=method,
        query=_check_query(query, door),
        body=body,
        status_code=_check_status_codes(status_code, door),
        paginate=_check_bool(paginate, 'paginate', door),
        page_size=_check_number(page_size, 'page_size', 1, MAX_PAGE_SIZE, door, query),
        max_pages=_check_number(DEFAULT_MAX_PAGES if max_pages is None else max_pages, 'max_pages', 1, MAX_PAGES, door),
    )


def check_path(path, door):
    """``path`` if it is an absolute path on the API host (``/api/2/users``); else OneLoginError."""
    if not isinstance(path, str) or not path.strip():
        raise OneLoginError('The path of a %s request must be a non-empty string such as /api/2/users.', door)
    if not path.isascii() or not path.isprintable() or ' ' in path or '\\' in path or len(path) > MAX_PATH:
        raise OneLoginError('The path of a %s request must be printable ASCII without spaces or backslashes, at '
                            'most %d characters (encode other characters, for example %%20 for a space): %r.',
                            door, MAX_PATH, path[:100])
    if not path.startswith('/') or path.startswith('//') or '://' in path:
        raise OneLoginError('The path of a %s request must be a path on the API host, starting with one slash, such '
                            'as /api/2/users, not %r: the request goes only to the host of the run\'s token, so that '
                            'the token never leaves the tenant. Set the host with api_url, subdomain or region.',
                            door, path[:100])
    if '?' in path or '#' in path:
        raise OneLoginError('The path of a %s request must not hold a query or fragment (%r): give query parameters '
                            'with the query option, for example query: {email: ada@example.com}.', door, path[:100])
    return path


def _check_query(query, door):
    if query is None:
        return {}
    if not isinstance(query, dict):
        raise OneLoginError('The query option of %s must be a mapping of parameter names to values, not %s.',
                            door, type(query).__name__)
    checked = {}
    for name, value in query.items():
        if not isinstance(name, str) or not name:
            raise OneLoginError('The query option of %s has a parameter name that is not a non-empty string.', door)
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(item is not None and not isinstance(item, (str, int, float, bool)) for item in values):
            raise OneLoginError('The query parameter %s of %s must be a string, number, boolean or a list of them, '
                                'not a nested %s.', name, door, type(value).__name__)
        shown = [_query_text(item) for item in values if item is not None]
        if shown:
            checked[name] = shown if isinstance(value, (list, tuple)) else shown[0]
    return checked


def _query_text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'  # what OneLogin's boolean filters expect, not Python's True
    return str(value)


def _check_status_codes(status_code, door):
    if status_code is None:
        return DEFAULT_STATUS_CODES
    codes = status_code if isinstance(status_code, (list, tuple)) else [status_code]
    checked = []
    for code in codes:
        try:
            number = int(code) if not isinstance(code, bool) and _digits(str(code)) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not 100 <= number <= 599:
            raise OneLoginError('The status_code option of %s must list HTTP statuses from 100 to 599, not %r.',
                                door, str(code)[:20])
        checked.append(number)
    if not checked:
        raise OneLoginError('The status_code option of %s must list at least one HTTP status.', door)
    return tuple(checked)


def _digits(text):
    text = text.strip()
    return 0 < len(text) <= 9 and text.isascii() and text.isdigit()


def _check_bool(value, name, door):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('true', 'yes', 'on', '1'):
        return True
    if text in ('false', 'no', 'off', '0'):
        return False
    raise OneLoginError('The %s option of %s must be a boolean, not %r.', name, door, str(value)[:20])


def _check_number(value, name, lowest, highest, door, query=None):
    if value is None:
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and _digits(value))):
        raise OneLoginError('The %s option of %s must be a whole number from %d to %d, not %r.', name, door, lowest,
                            highest, str(value)[:20])
    number = int(value)
    if not lowest <= number <= highest:
        raise OneLoginError('The %s option of %s must be a whole number from %d to %d, not %d.', name, door, lowest,
                            highest, number)
    if name == 'page_size' and query and 'limit' in query:
        raise OneLoginError('Give the page size of a %s request once: page_size, or limit in query, not both.', door)
    return number
