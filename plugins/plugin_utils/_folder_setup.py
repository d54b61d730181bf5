# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""Creating a cache folder, and the messages for one that cannot be used.

Imported by :mod:`_folders` only when a folder is missing or refused, so that the cached path of
the lookup, which every forked worker runs first, compiles none of this.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import errno
import os
import stat

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._folders import DIR_FLAGS

_O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)


def where_text(where):
    """The "where to set it" text of cache_dir: ``where`` may be a text or a function that returns it."""
    if callable(where):
        return where()
    return where or 'the cache_dir option (the ONELOGIN_CACHE_DIR environment variable)'


def _cannot(persistent, path, where, exc):
    if persistent:
        return OneLoginError('Cannot use the OneLogin persistent cache folder %s (%s). Check %s.',
                             path, exc.strerror, where_text(where))
    return OneLoginError('Cannot use the OneLogin token cache folder %s (%s); refusing to use it.', path, exc.strerror)


def refuse_open(path, persistent, where, exc):
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
                path, where_text(where))
        return OneLoginError('The OneLogin token cache folder %s is a symbolic link; refusing to use it.', path)
    if info is None and exc.errno == errno.ENOTDIR:  # a parent is not a folder: the folder cannot be made
        return _cannot_create(persistent, path, where, exc)
    if exc.errno == errno.ENOTDIR:
        if persistent:
            return OneLoginError('The OneLogin persistent cache folder %s is not a folder. Check %s.',
                                 path, where_text(where))
        return OneLoginError('The OneLogin token cache folder %s is not a folder; refusing to use it.', path)
    return _cannot(persistent, path, where, exc)


def make_folders(path, persistent, where):
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
                raise refuse_open(os.path.join(parent, name), persistent, where, exc) from None
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
                             'write with %s.', path, exc.strerror, where_text(where))
    return OneLoginError('Cannot create the OneLogin token cache folder %s: %s.', path, exc.strerror)
