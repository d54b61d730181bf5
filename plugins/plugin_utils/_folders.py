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


def open_folder(path, persistent, where, create):
    """Open and check the cache folder ``path``; return its descriptor, or None if missing and not ``create``.

    The checks are made on the descriptor, so what is checked is what is used.
    """
    try:
        fd = os.open(path, DIR_FLAGS)
    except FileNotFoundError:
        if not create:
            return None
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _folder_setup
        fd = _folder_setup.make_folders(path, persistent, where)
    except OSError as exc:
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _folder_setup
        raise _folder_setup.refuse_open(path, persistent, where, exc) from None
    try:
        _check_folder(fd, path, persistent, where)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _where_text(where):
    from ansible_collections.sso.onelogin.plugins.plugin_utils import _folder_setup
    return _folder_setup.where_text(where)


def _check_folder(fd, path, persistent, where):
    info = os.fstat(fd)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        if persistent and stat.S_ISDIR(info.st_mode):
            raise OneLoginError('The OneLogin persistent cache folder %s is owned by another user; refusing to use '
                                'it. Use a folder of your own: check %s.', path, _where_text(where))
        if persistent:
            raise OneLoginError('The OneLogin persistent cache folder %s is not a folder. Check %s.',
                                path, _where_text(where))
        raise OneLoginError('The OneLogin token cache folder %s is not a folder owned by the current user; '
                            'refusing to use it.', path)
    mode = stat.S_IMODE(info.st_mode)
    if persistent and mode & 0o022:
        raise OneLoginError('The OneLogin persistent cache folder %s is writable by group or others (mode %04o); '
                            'refusing to use it. Make it private (chmod 700) or choose another folder with %s.',
                            path, mode, _where_text(where))
    if not persistent and mode & 0o077:
        os.fchmod(fd, 0o700)  # the run folder is the collection's own: keep it private
