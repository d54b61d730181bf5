# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The folders of the token caches, pinned by descriptor.

The run's folder lives inside ansible-core's per-run private temp directory; the persistent one is
the user's choice (``cache_dir``). Every use opens the folder once (``O_DIRECTORY | O_NOFOLLOW``),
checks the open descriptor (a folder, owned by the current user; the persistent one not writable by
group or others, the run one kept at 0700), and the cache does everything else relative to that
descriptor. Swapping the folder (or a symbolic link among its parents) for another one while it is
in use changes nothing for that use: the kernel resolves the path once, at the open. A leaf that is
itself a symbolic link is refused. Folders the collection creates are 0700 whatever the umask.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import errno
import os
import stat

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

RUN_FOLDER = 'sso_onelogin_tokens'
_O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
DIR_FLAGS = os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) | getattr(os, 'O_NOFOLLOW', 0) | _O_CLOEXEC


def run_directory():
    """The cache folder of the current run, inside ansible-core's per-run local temp directory."""
    from ansible import constants as C
    return os.path.join(C.DEFAULT_LOCAL_TMP, RUN_FOLDER)


def default_persistent_directory():
    """``$XDG_CACHE_HOME/sso.onelogin/tokens``, else ``~/.cache/sso.onelogin/tokens``."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'sso.onelogin', 'tokens')


def absolute(path):
    return os.path.abspath(os.path.expanduser(path))


def _where(where):
    """The "where to set it" text of cache_dir: ``where`` may be a text or a function that returns it."""
    if callable(where):
        return where()
    return where or 'the cache_dir option (the ONELOGIN_CACHE_DIR environment variable)'


def _cannot(persistent, path, where, exc):
    if persistent:
        return OneLoginError('Cannot use the OneLogin persistent cache folder %s (%s). Check %s.',
                             path, exc.strerror, _where(where))
    return OneLoginError('Cannot use the OneLogin token cache folder %s (%s); refusing to use it.', path, exc.strerror)


def _refuse_open(path, persistent, where, exc):
    """The error for a folder that cannot be opened as a folder without following a link."""
    try:
        info = os.lstat(path)  # only to say what is in the way; nothing is opened through it
    except OSError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        if persistent:
            return OneLoginError(
                'The OneLogin persistent cache folder %s is a symbolic link; refusing to follow it, because where it '
                'points can change between two uses. Set %s to the folder itself, or replace the link with a folder.',
                path, _where(where))
        return OneLoginError('The OneLogin token cache folder %s is a symbolic link; refusing to use it.', path)
    if info is None and exc.errno == errno.ENOTDIR:  # a parent is not a folder: the folder cannot be made
        return _cannot_create(persistent, path, where, exc)
    if exc.errno == errno.ENOTDIR:
        if persistent:
            return OneLoginError('The OneLogin persistent cache folder %s is not a folder. Check %s.',
                                 path, _where(where))
        return OneLoginError('The OneLogin token cache folder %s is not a folder; refusing to use it.', path)
    return _cannot(persistent, path, where, exc)


def _make_folders(path, persistent, where):
    """Create ``path`` (the persistent cache: and its missing parents) at mode 0700; return a descriptor of it.

    Each folder is made relative to the descriptor of its parent and opened without following a
    link, then set to 0700 on its descriptor, whatever the umask.
    """
    missing = []
    parent = path
    while True:
        parent, name = os.path.split(parent)
        missing.append(name)
        if not persistent or os.path.lexists(parent) or parent == os.path.dirname(parent):
            break
    missing.reverse()
    try:
        fd = os.open(parent, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) | _O_CLOEXEC)  # parents: resolved once
    except OSError as exc:
        raise _cannot_create(persistent, path, where, exc) from None
    try:
        for name in missing:
            try:
                os.mkdir(name, 0o700, dir_fd=fd)
                made = True
            except FileExistsError:
                made = False  # another worker was first: use it if it passes the checks
            except OSError as exc:
                raise _cannot_create(persistent, path, where, exc) from None
            try:
                child = os.open(name, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise _refuse_open(os.path.join(parent, name), persistent, where, exc) from None
            os.close(fd)
            fd = child
            parent = os.path.join(parent, name)
            if made:
                os.fchmod(fd, 0o700)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _cannot_create(persistent, path, where, exc):
    if persistent:
        return OneLoginError('Cannot create the OneLogin persistent cache folder %s (%s). Choose a folder you can '
                             'write with %s.', path, exc.strerror, _where(where))
    return OneLoginError('Cannot create the OneLogin token cache folder %s: %s.', path, exc.strerror)


def open_folder(path, persistent, where, create):
    """Open and check the cache folder ``path``; return its descriptor, or None if missing and not ``create``.

    The checks are made on the descriptor, so what is checked is what is used.
    """
    try:
        fd = os.open(path, DIR_FLAGS)
    except FileNotFoundError:
        if not create:
            return None
        fd = _make_folders(path, persistent, where)
    except OSError as exc:
        raise _refuse_open(path, persistent, where, exc) from None
    try:
        _check_folder(fd, path, persistent, where)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_folder(fd, path, persistent, where):
    info = os.fstat(fd)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        if persistent and stat.S_ISDIR(info.st_mode):
            raise OneLoginError('The OneLogin persistent cache folder %s is owned by another user; refusing to use '
                                'it. Use a folder of your own: check %s.', path, _where(where))
        if persistent:
            raise OneLoginError('The OneLogin persistent cache folder %s is not a folder. Check %s.',
                                path, _where(where))
        raise OneLoginError('The OneLogin token cache folder %s is not a folder owned by the current user; '
                            'refusing to use it.', path)
    mode = stat.S_IMODE(info.st_mode)
    if persistent and mode & 0o022:
        raise OneLoginError('The OneLogin persistent cache folder %s is writable by group or others (mode %04o); '
                            'refusing to use it. Make it private (chmod 700) or choose another folder with %s.',
                            path, mode, _where(where))
    if not persistent and mode & 0o077:
        os.fchmod(fd, 0o700)  # the run folder is the collection's own: keep it private
