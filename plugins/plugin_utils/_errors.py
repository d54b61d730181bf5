# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""The one error type of the collection's core; :mod:`_scrub` keeps its messages free of secrets.

A message is a fixed text of the collection with ``%`` placeholders, and the values that fill
them (a URL, a server's words, a path, an option's value). Only the values are scrubbed of
secrets: scrubbing the fixed text would reveal a secret that happens to be one of its words
(a client secret ``password`` redacted inside "a user name or password").
"""

from __future__ import annotations

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
        from ansible_collections.sso.onelogin.plugins.plugin_utils._scrub import shown
        return self.fixed_text % tuple(shown(value, self.secrets) for value in self.values)
