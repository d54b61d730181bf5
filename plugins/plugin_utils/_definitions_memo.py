# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""Writing the run's memo of the option definitions (see :mod:`_definitions`, which reads it).

Only a worker that found no memo imports this: in a run, the first ones.
"""

from __future__ import annotations

import json
import os

from ansible_collections.sso.onelogin.plugins.plugin_utils._definitions import DEFINITIONS_MEMO, memo_stamp
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._folders import open_folder, run_directory


def remember(defs, config_name):
    """Write the memo into the run's cache folder, pinned by descriptor (created if missing); best effort.

    The run folder is made here too, not only by the run cache: with ``cache=persistent`` the run
    cache is never used, and without the memo every worker parsed the documentation again.
    """
    try:
        dir_fd = open_folder(run_directory(), persistent=False, where=None, create=True)
    except (OSError, OneLoginError):  # an optimisation only: never fail a task over it
        return
    tmp_name = '.definitions-%s' % os.urandom(8).hex()
    try:
        try:
            os.stat(DEFINITIONS_MEMO, dir_fd=dir_fd, follow_symlinks=False)
            return  # another worker wrote it
        except FileNotFoundError:
            pass
        text = json.dumps(dict(memo_stamp(), options=defs, config_name=config_name), sort_keys=True)
        fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), 0o600,
                     dir_fd=dir_fd)
        with os.fdopen(fd, 'w', encoding='utf-8') as memo_file:
            memo_file.write(text)
        os.replace(tmp_name, DEFINITIONS_MEMO, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        tmp_name = None
    except (OSError, TypeError, ValueError):  # an optimisation only: never fail a task over it
        pass
    finally:
        if tmp_name:
            try:
                os.unlink(tmp_name, dir_fd=dir_fd)
            except OSError:
                pass
        os.close(dir_fd)
