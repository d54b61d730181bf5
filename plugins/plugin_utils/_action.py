# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""What every action plugin of the collection shares: argument checks, option resolution, failures.

An action plugin names its own arguments (besides the connection options) and implements
:meth:`OneLoginAction.act`. Failures become a failed task whose message holds no secret and no
traceback.
"""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.sso.onelogin.plugins.plugin_utils import _options
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError, unexpected


def strict_bool(module, name, value):
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise OneLoginError('The %s option of %s must be a boolean (true or false).', name, module) from None


class OneLoginAction(ActionBase):
    """Base of the collection's action plugins; they run on the controller only."""

    TRANSFERS_FILES = False
    _requires_connection = False

    MODULE = None  # the FQCN, for messages
    EXTRA_ARGS = ()  # arguments besides the connection options
    SECRET_ARGS = ()  # extra arguments whose values are secrets

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        secrets = _options.candidate_secrets(args) + [str(args[name]) for name in self.SECRET_ARGS
                                                      if isinstance(args.get(name), str) and args[name]]
        try:
            extra = {name: args.pop(name) for name in self.EXTRA_ARGS if name in args}
            unknown = sorted(set(args) - set(_options.CONNECTION_OPTIONS))
            if unknown:
                raise OneLoginError('Unsupported parameters for %s: %s. Supported parameters: %s.', self.MODULE,
                                    ', '.join(unknown), ', '.join(_options.CONNECTION_OPTIONS + self.EXTRA_ARGS))
            extra = self.check_extra(extra)
            settings = _options.resolve(args, door=_options.MODULE)
            result.update(self.act(settings, extra, bool(self._task.check_mode)))
        except OneLoginError as exc:
            result.update(failed=True, msg=str(exc.hide(secrets)))
        except Exception as exc:  # a bug: report it without a traceback that could carry a secret
            result.update(failed=True, msg=unexpected(exc, secrets))
        return result

    def check_extra(self, extra):
        """Check and convert the extra arguments; return them as a dict with defaults filled in."""
        return extra

    def act(self, settings, extra, check_mode):
        """Do the work; return what to add to the task result."""
        raise NotImplementedError
