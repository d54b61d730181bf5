# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The one error type of the collection's core, and how its messages are kept free of secrets.

A message is a fixed text of the collection with ``%`` placeholders, and the values that fill
them (a URL, a server's words, a path, an option's value). Only the values are scrubbed of
secrets: scrubbing the fixed text would reveal a secret that happens to be one of its words
(a client secret ``password`` redacted inside "a user name or password").
"""

from __future__ import annotations

import base64
import json
import traceback
from urllib.parse import quote, quote_plus

REDACTED = '********'
MIN_SECRET = 4  # shorter values are not scrubbed: they would garble every message


class OneLoginError(Exception):
    """An expected failure: the message says what happened and what to do.

    ``OneLoginError(fixed_text, *values)``: ``fixed_text`` is a literal of the collection with one
    ``%s``/``%r``/``%d`` per value (``%%`` for a percent sign). ``str()`` fills it with the values,
    each scrubbed of the secrets made known with :meth:`hide`. The doors (action plugin, lookup)
    hide every candidate secret they know and turn the error into a failed task or an
    AnsibleLookupError, without a traceback.
    """

    def __init__(self, fixed_text, *values):
        super().__init__(fixed_text, *values)
        self.fixed_text = fixed_text
        self.values = values
        self.secrets = ()

    def hide(self, secrets):
        """Scrub these secrets (and their derived forms) from the values too; return self."""
        self.secrets = self.secrets + tuple(s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET)
        return self

    def extended(self, fixed_text, *values):
        """A new error: this message followed by ``fixed_text`` filled with ``values``."""
        return OneLoginError(self.fixed_text + fixed_text, *(self.values + values)).hide(self.secrets)

    def __str__(self):
        if not self.values:
            return self.fixed_text
        return self.fixed_text % tuple(_shown(value, self.secrets) for value in self.values)


def _shown(value, secrets):
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return scrub(str.__str__(value) if isinstance(value, str) else str(value), secrets)


def derived_forms(secret):
    """The forms in which ``secret`` can appear in text: as is, URL-encoded, escaped by repr or JSON."""
    forms = {secret, quote(secret, safe=''), quote_plus(secret), repr(secret)[1:-1], json.dumps(secret)[1:-1],
             secret.encode('unicode_escape').decode('ascii')}
    return sorted((form for form in forms if len(form) >= MIN_SECRET), key=len, reverse=True)


def basic_credentials(client_id, client_secret):
    """The value of an HTTP Basic header for these credentials (a secret: base64 is not encryption)."""
    return base64.b64encode(('%s:%s' % (client_id, client_secret)).encode('utf-8')).decode('ascii')


def scrub(text, secrets):
    """``text`` (a value from outside: a server's words, an exception, a URL) with every secret replaced."""
    text = str(text)
    for secret in secrets:
        if isinstance(secret, str) and len(secret) >= MIN_SECRET:
            for form in derived_forms(secret):
                text = text.replace(form, REDACTED)
    return text


def unexpected(exc, secrets):
    """A message for a bug: type, scrubbed text and where it happened; never a traceback that could hold values."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ' at %s:%d' % (frames[-1].filename.rsplit('/', 1)[-1], frames[-1].lineno) if frames else ''
    return 'Unexpected error in the sso.onelogin collection (%s%s: %s). Please report it.' % (
        type(exc).__name__, where, scrub(str(exc), secrets)[:300])
