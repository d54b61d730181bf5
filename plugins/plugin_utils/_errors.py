# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The one error type of the collection's core, and the last line of defence against leaks."""

from __future__ import annotations

import traceback

REDACTED = '********'


class OneLoginError(Exception):
    """An expected failure: the message says what happened and what to do, and holds no secret.

    The doors (action plugin, lookup) turn it into a failed task or an AnsibleLookupError,
    without a traceback.
    """


def scrub(text, secrets):
    """Return ``text`` with every secret in ``secrets`` replaced by a placeholder.

    Messages are built without secrets in the first place; this is the safety net for text
    that comes from elsewhere (an exception from a library, a server's error message).
    """
    text = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def unexpected(exc, secrets):
    """A message for a bug: type, scrubbed text and where it happened; never a traceback that could hold values."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ' at %s:%d' % (frames[-1].filename.rsplit('/', 1)[-1], frames[-1].lineno) if frames else ''
    return scrub('Unexpected error in the sso.onelogin collection (%s%s: %s). Please report it.'
                 % (type(exc).__name__, where, str(exc)[:300]), secrets)
