# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""What every action plugin of the collection shares: argument checks, option resolution, failures.

An action plugin declares its own arguments (besides the connection options) as an argument spec
and implements :meth:`OneLoginAction.act`. ansible-core's ``validate_argument_spec`` checks the
arguments (unknown names, types, choices); the connection options pass through it unconverted and
are resolved by the options model, which also reads them from the environment and ansible.cfg.
Failures become a failed task whose message holds no secret and no traceback.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import re

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.sso.onelogin.plugins.plugin_utils import _options
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._option_errors import candidate_secrets
from ansible_collections.sso.onelogin.plugins.plugin_utils._scrub import unexpected


_UNSUPPORTED = re.compile(r'^Unsupported parameters for \([^)]*\) module: ')


def _connection_spec():
    # raw: the options model converts them strictly, after the empty-value rule and the other sources
    return {name: {'type': 'raw', 'no_log': name in _options.SECRET_OPTIONS} for name in _options.CONNECTION_OPTIONS}


class OneLoginAction(ActionBase):
    """Base of the collection's action plugins; they run on the controller only."""

    TRANSFERS_FILES = False
    _requires_connection = False

    MODULE = None  # the FQCN, for messages
    ARGUMENT_SPEC = {}  # arguments besides the connection options
    SECRET_ARGS = ()  # extra arguments whose values are secrets

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        secrets = candidate_secrets(args) + [str(args[name]) for name in self.SECRET_ARGS
                                             if isinstance(args.get(name), str) and args[name]]
        try:
            try:
                dummy, args = self.validate_argument_spec(dict(_connection_spec(), **self.ARGUMENT_SPEC))
            except AnsibleActionFail as exc:
                detail = _UNSUPPORTED.sub('unsupported parameters: ', str(getattr(exc, 'message', None) or exc))
                raise OneLoginError('Invalid arguments for %s: %s', self.MODULE, detail.strip()) from None
            extra = {name: args.pop(name) for name in self.ARGUMENT_SPEC}
            self.check_extra(extra)
            settings = _options.resolve(args, door=_options.MODULE)
            result.update(self.act(settings, extra, bool(self._task.check_mode)))
        except OneLoginError as exc:
            result.update(failed=True, msg=str(exc.hide(secrets)))
            result.update(self.failure_fields(exc))
        except Exception as exc:  # a bug: report it without a traceback that could carry a secret
            result.update(failed=True, msg=unexpected(exc, secrets))
        return result

    def check_extra(self, extra):
        """Check how the extra arguments go together (beyond the argument spec); raise OneLoginError."""

    def failure_fields(self, exc):
        """What to add to the result of a failed task besides ``msg``, from the OneLoginError ``exc``."""
        return {}

    def act(self, settings, extra, check_mode):
        """Do the work; return what to add to the task result."""
        raise NotImplementedError
