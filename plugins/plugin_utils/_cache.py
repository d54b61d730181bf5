# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The token caches: one store shared by every worker process of a run, or of several runs.

Ansible forks a new worker for every (host, task), so memory cannot be shared. The store is a
folder under the run's private local temp directory (``C.DEFAULT_LOCAL_TMP``, created by the
main process before any worker is forked and removed when the run ends). It holds one entry per
credential set: a JSON file (mode 0600, replaced atomically) and a lock file. An exclusive
``fcntl.flock`` on the lock file serialises "read, and on a miss mint and write", so N workers
racing on a cold cache make exactly one token exchange. The kernel drops a lock when its holder
dies, so a killed worker never blocks the others. The client secret is never stored.

With ``cache=persistent`` the same kind of store lives in a per-user folder that outlives the run,
so later and concurrent runs share one token.

The folder is pinned by descriptor (:mod:`_folders`): every lock, read, write, replace and unlink
of an entry goes through the descriptor of the folder that was opened and checked.

Everything read back from a cache file is bounded: a record that fails the checks is a miss, and
the next token minted replaces it.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import contextlib
import errno
import fcntl
import json
import math
import os
import stat

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._folders import (
    absolute, open_folder, run_directory)

FORMAT = 'sso.onelogin/token-cache/1'
FAILURE_FORMAT = 'sso.onelogin/token-failure/1'
BUDGET_FORMAT = 'sso.onelogin/rate-budget/1'
FIELDS = ('access_token', 'token_type', 'created_at', 'expires_at', 'account_id', 'api_url', 'token_api',
          'client_id', 'minted_by')

# Bounds of what is accepted from a cache file. OneLogin documents a token lifetime of 10 hours:
# an expiry further ahead than ten lifetimes, or more than a day past, is not a token of ours.
TOKEN_LIFETIME = 36000
MAX_AHEAD = 10 * TOKEN_LIFETIME
MAX_BEHIND = 86400
MAX_FILE = 64 * 1024  # bytes read from a cache file; a longer one is not ours
MAX_TOKEN = 8192
MAX_SHORT = 256  # token_type, created_at, minted_by, token_api
MAX_TEXT = 2048  # api_url, client_id
MAX_MESSAGE = 2000  # the text of a remembered failure
CLOCK_SLACK = 1.0  # seconds a remembered failure may lie "in the future" (another process's clock reading)

_O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
_O_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
_READ_FLAGS = os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC | getattr(os, 'O_NONBLOCK', 0)  # a FIFO must not block
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | _O_NOFOLLOW | _O_CLOEXEC


class TokenCache:
    """A folder of token entries guarded by per-entry ``fcntl`` locks.

    ``persistent``: the folder is the user's choice (``cache=persistent``).
    It is checked at every use and refused when it is not private; missing, it is created with its
    missing parents. The run folder, by contrast, is created if missing (its parent must exist) and
    kept at 0700. ``where``: where ``cache_dir`` is set, in words, or a function that returns that
    text (called only for a message). ``create=False``: a missing folder is left missing, and
    :meth:`entry` yields None.
    """

    def __init__(self, directory=None, persistent=False, where=None, create=True):
        self.directory = absolute(directory) if directory else run_directory()
        self.persistent = persistent
        self.where = where
        self.create = create

    @contextlib.contextmanager
    def entry(self, key):
        """Hold the exclusive lock of entry ``key`` and yield it for reading and writing.

        The folder is opened and checked once, here; everything the entry does goes through that
        descriptor. Yields None when the folder is missing and ``create`` is off.
        """
        dir_fd = open_folder(self.directory, self.persistent, self.where, self.create)
        if dir_fd is None:
            yield None
            return
        try:
            lock_fd = _open_lock(dir_fd, key, self.directory)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
                yield CacheEntry(dir_fd, key, self.directory)
            finally:
                os.close(lock_fd)  # closing the descriptor releases the lock
        finally:
            os.close(dir_fd)


def _open_lock(dir_fd, key, directory):
    name = key + '.lock'
    path = os.path.join(directory, name)
    try:
        fd = os.open(name, _LOCK_FLAGS, 0o600, dir_fd=dir_fd)
    except OSError as exc:
        raise _cache_writes_not_a_file(dir_fd, name, path, 'lock file', exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OneLoginError('The OneLogin token cache lock file %s is not a regular file; refusing to use it. '
                                'Remove it: the collection makes a new one.', path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def text_within(value, limit, ascii_only=False):
    """A non-empty string of at most ``limit`` printable characters (visible ASCII and spaces if ``ascii_only``)."""
    return (isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()
            and (not ascii_only or value.isascii()))


def valid_record(data, now):
    """The token record of a cache file's ``data``, or None when any field is out of bounds.

    ``now``: the current time in epoch seconds; the expiry must lie within a day before it and ten
    token lifetimes after it.
    """
    if not isinstance(data, dict) or data.get('format') != FORMAT:
        return None
    expires_at = data.get('expires_at')
    if not finite(expires_at) or not now - MAX_BEHIND <= expires_at <= now + MAX_AHEAD:
        return None
    if not text_within(data.get('access_token'), MAX_TOKEN, ascii_only=True):
        return None
    if not text_within(data.get('created_at'), MAX_SHORT) or not text_within(data.get('token_type'), MAX_SHORT):
        return None
    account_id = data.get('account_id')
    if account_id is not None and (isinstance(account_id, bool) or not isinstance(account_id, int)
                                   or abs(account_id) >= 2 ** 63):
        return None
    for name, limit in (('api_url', MAX_TEXT), ('client_id', MAX_TEXT), ('token_api', MAX_SHORT),
                        ('minted_by', MAX_SHORT)):
        value = data.get(name)
        if value is not None and not text_within(value, limit):
            return None
    record = {name: data.get(name) for name in FIELDS}
    record['expires_at'] = float(expires_at)
    return record


class CacheEntry:
    """One credential set's token record (and remembered failure) on disk. Use only while holding its lock.

    Every file operation is relative to the descriptor of the pinned folder.
    """

    def __init__(self, dir_fd, key, directory):
        self.dir_fd = dir_fd
        self.name = key + '.json'
        self.failure_name = key + '.failure'
        self.budget_name = key + '.ratelimit'
        self.directory = directory

    @property
    def path(self):
        return os.path.join(self.directory, self.name)

    def read(self, now=None):
        """The stored record, or None when there is none or it cannot be trusted (treated as a miss)."""
        data = self.load(self.name, 'entry')
        return valid_record(data, _now(now))

    def remove(self):
        """Forget the stored record; return whether there was one."""
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache_writes
        return _cache_writes.remove(self)

    def write(self, record):
        """Store ``record`` atomically with mode 0600 (a reader sees the old file or the new one)."""
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache_writes
        _cache_writes.write(self, record)

    # -- a failed exchange, remembered briefly for the workers that waited for it ------------------------------------

    def read_failure(self, now, window):
        """``(message, failed_at)`` of a failure remembered less than ``window`` seconds ago, else None."""
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache_writes
        return _cache_writes.read_failure(self, now, window)

    def write_failure(self, message, failed_at):
        """Remember a failure: its message (already free of secrets) and when it happened. Best effort."""
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache_writes
        _cache_writes.write_failure(self, message, failed_at)

    def clear_failure(self):
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache_writes
        _cache_writes.clear_failure(self)

    # -- files, through the folder's descriptor ----------------------------------------------------------------------

    def load(self, name, what):
        """The JSON content of file ``name``; None when missing, too large or not JSON. A non-file is an error."""
        path = os.path.join(self.directory, name)
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=self.dir_fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK, errno.EISDIR, errno.ENXIO):
                raise _cache_writes_not_a_file(self.dir_fd, name, path, what, exc) from None
            return None  # unreadable: a miss, and the next write replaces it
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise OneLoginError('The OneLogin token cache %s %s is a folder, not a file. Remove it: the '
                                    'collection makes a new one.', what, path)
            if not stat.S_ISREG(info.st_mode):
                raise OneLoginError('The OneLogin token cache %s %s is not a regular file; refusing to use it. '
                                    'Remove it: the collection makes a new one.', what, path)
            if info.st_size > MAX_FILE:
                return None
            chunks, size = [], 0
            while size <= MAX_FILE:
                chunk = os.read(fd, MAX_FILE + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > MAX_FILE:
                return None
        except OSError:
            return None
        finally:
            os.close(fd)
        try:
            return json.loads(b''.join(chunks).decode('utf-8'))
        except (ValueError, RecursionError):
            return None


def _cache_writes_not_a_file(dir_fd, name, path, what, exc):
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _cache_writes
    return _cache_writes.not_a_file(dir_fd, name, path, what, exc)


def _now(now):
    if now is None:
        import time
        return time.time()
    return now() if callable(now) else now
