# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""What a cache entry does besides reading its record: write, remove, and remember a failed exchange.

Imported by :mod:`_cache` only when a token is minted, revoked or found missing, and for the
messages of a cache file that is not a plain file, so that the cached path of the lookup, which
every forked worker runs first, compiles none of this. Every operation is relative to the
descriptor of the entry's pinned folder.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import contextlib
import errno
import json
import os
import stat

from ansible_collections.sso.onelogin.plugins.plugin_utils._cache import (
    BUDGET_FORMAT, CLOCK_SLACK, FAILURE_FORMAT, FORMAT, MAX_MESSAGE, FIELDS, finite, text_within)
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0)


def write(entry, record):
    """Store ``record`` atomically with mode 0600 (a reader sees the old file or the new one)."""
    data = {name: record.get(name) for name in FIELDS}
    data['format'] = FORMAT
    _store(entry, entry.name, 'entry', data)


def remove(entry):
    """Forget the stored record; return whether there was one."""
    return _unlink(entry, entry.name, 'entry')


def read_failure(entry, now, window):
    """``(message, failed_at)`` of a failure remembered less than ``window`` seconds ago, else None.

    A record with a timestamp out of range (older than the window, or in the future) is ignored.
    """
    data = entry.load(entry.failure_name, 'failure record')
    if not isinstance(data, dict) or data.get('format') != FAILURE_FORMAT:
        return None
    failed_at, message = data.get('failed_at'), data.get('message')
    if not finite(failed_at) or not now - window < failed_at <= now + CLOCK_SLACK:
        return None
    if not text_within(message, MAX_MESSAGE):
        return None
    return message, float(failed_at)


def write_failure(entry, message, failed_at):
    """Remember a failure: its message (already free of secrets) and when it happened. Best effort."""
    text = ''.join(char if char.isprintable() else ' ' for char in str(message)[:MAX_MESSAGE]) or 'failed'
    with contextlib.suppress(OSError, OneLoginError):
        _store(entry, entry.failure_name, 'failure record',
               {'format': FAILURE_FORMAT, 'failed_at': float(failed_at), 'message': text})


def clear_failure(entry):
    with contextlib.suppress(OSError, OneLoginError):
        _unlink(entry, entry.failure_name, 'failure record')


# -- the rate limit last seen, shared by the workers that call the API (see _api_budget) ---------------------------------

MAX_RATE = 10 ** 7  # a rate limit, or calls remaining, above this is not OneLogin's
MAX_RESET = 86400  # seconds until the limit resets: OneLogin's windows are an hour


def read_budget(entry, now):
    """``{limit, remaining, reset_at, seen_at}`` last written, or None when there is none or it is out of bounds."""
    data = entry.load(entry.budget_name, 'rate limit record')
    if not isinstance(data, dict) or data.get('format') != BUDGET_FORMAT:
        return None
    limit, remaining = data.get('limit'), data.get('remaining')
    reset_at, seen_at = data.get('reset_at'), data.get('seen_at')
    for number in (limit, remaining):
        if number is not None and (not isinstance(number, int) or isinstance(number, bool)
                                   or not 0 <= number <= MAX_RATE):
            return None
    if not (finite(reset_at) and finite(seen_at) and now - MAX_RESET <= seen_at <= now + CLOCK_SLACK
            and seen_at <= reset_at <= seen_at + MAX_RESET):
        return None
    return {'limit': limit, 'remaining': remaining, 'reset_at': float(reset_at), 'seen_at': float(seen_at)}


# X-RateLimit-Reset is in whole seconds: two answers of one window give reset times about a second apart.
SAME_WINDOW = 2.0


def take_from_budget(entry, now):
    """Take one call from the shared budget before a request: 0 to go ahead, else the seconds until the reset.

    Each request takes its call before it is sent, so requests on their way count too: once the calls left are
    taken, the next worker waits for the reset instead of meeting a 429. Nothing known, or a window that is
    over: go ahead. Best effort: a budget that cannot be read or written never stops a request.
    """
    with contextlib.suppress(OSError, OneLoginError):
        budget = read_budget(entry, now)
        if budget is None or budget['reset_at'] <= now or budget['remaining'] is None:
            return 0
        if budget['remaining'] == 0:
            return budget['reset_at'] - now
        _store(entry, entry.budget_name, 'rate limit record',
               dict(budget, remaining=budget['remaining'] - 1, format=BUDGET_FORMAT))
    return 0


def write_budget(entry, budget):
    """Keep what an answer said of the budget (``budget`` as read_budget returns it). Best effort.

    In the window already stored (still open when the answer came, and ending at about the same time), the fewer
    calls left wins: an answer does not count the calls other workers took for requests still on their way. A
    later window replaces an earlier one; older news is dropped.
    """
    with contextlib.suppress(OSError, OneLoginError):
        # The stored record, older (read as of now) or newer (read as of a day later) than this answer.
        stored = read_budget(entry, budget['seen_at'] + CLOCK_SLACK) or read_budget(entry, budget['seen_at'] + MAX_RESET)
        if stored is not None and stored['reset_at'] > budget['seen_at'] \
                and abs(stored['reset_at'] - budget['reset_at']) <= SAME_WINDOW:
            budget = dict(budget, remaining=min(stored['remaining'], budget['remaining']),
                          seen_at=max(stored['seen_at'], budget['seen_at']))
        elif stored is not None and stored['seen_at'] > budget['seen_at']:
            return
        _store(entry, entry.budget_name, 'rate limit record', dict(budget, format=BUDGET_FORMAT))


def not_a_file(dir_fd, name, path, what, exc):
    """The error for a cache file that is not a plain file (a link, a folder) or cannot be opened."""
    try:
        info = os.lstat(name, dir_fd=dir_fd)
    except OSError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        return OneLoginError('The OneLogin token cache %s %s is a symbolic link; refusing to follow it. Remove it: '
                             'the collection makes a new one.', what, path)
    if info is not None and stat.S_ISDIR(info.st_mode):
        return OneLoginError('The OneLogin token cache %s %s is a folder, not a file. Remove it: the collection makes '
                             'a new one.', what, path)
    return OneLoginError('Cannot use the OneLogin token cache %s %s (%s). Check the folder\'s permissions, or '
                         'remove the file: the collection makes a new one.', what, path, exc.strerror)


def _store(entry, name, what, data):
    path = os.path.join(entry.directory, name)
    payload = json.dumps(data).encode('utf-8')
    tmp_name = None
    for dummy in range(8):
        candidate = '.entry-%s' % os.urandom(8).hex()
        try:
            fd = os.open(candidate, _TEMP_FLAGS, 0o600, dir_fd=entry.dir_fd)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OneLoginError('Cannot write the OneLogin token cache %s %s (%s). Check that the folder is '
                                'writable and the disk not full.', what, path, exc.strerror) from None
        tmp_name = candidate
        break
    if tmp_name is None:
        raise OneLoginError('Cannot write the OneLogin token cache %s %s (no free temporary name).', what, path)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp_name, name, src_dir_fd=entry.dir_fd, dst_dir_fd=entry.dir_fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name, dir_fd=entry.dir_fd)
        if exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
            raise OneLoginError('The OneLogin token cache %s %s is a folder, not a file. Remove it: the '
                                'collection makes a new one.', what, path) from None
        raise OneLoginError('Cannot write the OneLogin token cache %s %s (%s). Check that the folder is writable '
                            'and the disk not full.', what, path, exc.strerror) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name, dir_fd=entry.dir_fd)
        raise


def _unlink(entry, name, what):
    try:
        os.unlink(name, dir_fd=entry.dir_fd)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EISDIR, errno.EPERM):
            try:
                is_dir = stat.S_ISDIR(os.lstat(name, dir_fd=entry.dir_fd).st_mode)
            except OSError:
                is_dir = False
            if is_dir:
                raise OneLoginError('The OneLogin token cache %s %s is a folder, not a file. Remove it: the '
                                    'collection makes a new one.', what,
                                    os.path.join(entry.directory, name)) from None
        raise OneLoginError('Cannot remove the OneLogin token cache %s %s (%s). Remove it by hand.',
                            what, os.path.join(entry.directory, name), exc.strerror) from None
    return True
