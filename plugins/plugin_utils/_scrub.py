# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""Secrets out of text: the forms a secret takes on the wire and in text, and their removal from messages.

Imported when a message is shown or a request is made, not on the lookup's cached path.
"""

from __future__ import annotations

import base64
import json
import traceback
from urllib.parse import quote, quote_plus

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import MIN_SECRET

REDACTED = '********'


def shown(value, secrets):
    """A value of a message, as shown: scrubbed of ``secrets`` (numbers and None as they are)."""
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
