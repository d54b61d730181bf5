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

With ``cache=persistent`` the same kind of store lives in a per-user folder that outlives the run
(:func:`persistent_directory` checks it), so later and concurrent runs share one token.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import tempfile

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

FORMAT = 'sso.onelogin/token-cache/1'
RUN_FOLDER = 'sso_onelogin_tokens'
_FIELDS = ('access_token', 'token_type', 'created_at', 'expires_at', 'account_id', 'api_url', 'token_api',
           'client_id', 'minted_by')


def run_directory():
    """The cache folder of the current run, inside ansible-core's per-run local temp directory."""
    from ansible import constants as C
    return os.path.join(C.DEFAULT_LOCAL_TMP, RUN_FOLDER)


def _ensure_private_dir(path):
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise OneLoginError('Cannot create the OneLogin token cache folder %s: %s.' % (path, exc.strerror)) from None
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise OneLoginError('The OneLogin token cache folder %s is not a folder owned by the current user; '
                            'refusing to use it.' % path)
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)


def default_persistent_directory():
    """``$XDG_CACHE_HOME/sso.onelogin/tokens``, else ``~/.cache/sso.onelogin/tokens``."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'sso.onelogin', 'tokens')


def persistent_directory(path, where):
    """Check (and create if missing) the folder of the persistent cache; return its absolute path.

    ``where`` says in words where the ``cache_dir`` option is set, for the error messages. The folder
    must be owned by the current user and not writable by group or others: another user able to
    drop files there could hand this user a token of their choosing.
    """
    path = os.path.abspath(os.path.expanduser(path or default_persistent_directory()))
    if not os.path.lexists(path):
        try:
            os.makedirs(path, 0o700)  # the mode applies to the folder itself; parents get the usual mode
        except FileExistsError:
            pass
        except OSError as exc:
            raise OneLoginError('Cannot create the OneLogin persistent cache folder %s (%s). Choose a folder you can '
                                'write with %s.' % (path, exc.strerror, where)) from None
    try:
        info = os.stat(path)
    except OSError as exc:
        raise OneLoginError('Cannot use the OneLogin persistent cache folder %s (%s). Check %s.'
                            % (path, exc.strerror, where)) from None
    if not stat.S_ISDIR(info.st_mode):
        raise OneLoginError('The OneLogin persistent cache folder %s is not a folder. Check %s.' % (path, where))
    if info.st_uid != os.geteuid():
        raise OneLoginError('The OneLogin persistent cache folder %s is owned by another user; use a folder of your '
                            'own. Check %s.' % (path, where))
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise OneLoginError('The OneLogin persistent cache folder %s is writable by group or others (mode %04o); '
                            'make it private (chmod 700) or choose another folder with %s.' % (path, mode, where))
    return path


class TokenCache:
    """A folder of token entries guarded by per-entry ``fcntl`` locks.

    ``checked``: the folder was already checked by :func:`persistent_directory` and is the user's own
    choice, so it is used as it is (the run folder, by contrast, is created and kept at 0700 here).
    """

    def __init__(self, directory=None, checked=False):
        self.directory = directory or run_directory()
        self.checked = checked

    @contextlib.contextmanager
    def entry(self, key):
        """Hold the exclusive lock of entry ``key`` and yield it for reading and writing."""
        if not self.checked:
            _ensure_private_dir(self.directory)
        lock_path = os.path.join(self.directory, key + '.lock')
        flags = os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0)
        fd = os.open(lock_path, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield CacheEntry(os.path.join(self.directory, key + '.json'))
        finally:
            os.close(fd)  # closing the descriptor releases the lock


class CacheEntry:
    """One credential set's token record on disk. Use only while holding its lock."""

    def __init__(self, path):
        self.path = path

    def read(self):
        """The stored record, or None when there is none or it cannot be trusted (treated as a miss)."""
        try:
            with open(self.path, 'r', encoding='utf-8') as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get('format') != FORMAT:
            return None
        if not isinstance(data.get('access_token'), str) or not isinstance(data.get('expires_at'), (int, float)):
            return None
        return {name: data.get(name) for name in _FIELDS}

    def remove(self):
        """Forget the stored record; return whether there was one."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            return False
        return True

    def write(self, record):
        """Store ``record`` atomically with mode 0600 (a reader sees the old file or the new one)."""
        data = {name: record.get(name) for name in _FIELDS}
        data['format'] = FORMAT
        directory = os.path.dirname(self.path)
        fd, tmp_path = tempfile.mkstemp(prefix='.entry-', dir=directory)  # created 0600
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as handle:
                json.dump(data, handle)
            os.replace(tmp_path, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_path)
            raise
