# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of sso.onelogin.onelogin_token: adapts a task to the shared token source."""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.sso.onelogin.plugins.plugin_utils import _options, _token_source
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError, scrub

FACT_NAME = 'onelogin_token'


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            force = _force(args.pop('force', False))
            unknown = sorted(set(args) - set(_options.CONNECTION_OPTIONS))
            if unknown:
                raise OneLoginError('Unsupported parameters for sso.onelogin.onelogin_token: %s. Supported parameters: %s.'
                                    % (', '.join(unknown), ', '.join(_options.CONNECTION_OPTIONS + ('force',))))
            settings = _options.resolve(args, door=_options.MODULE)
            outcome = _token_source.obtain(settings, renew_for=self._task._uuid if force else None,
                                           check_mode=bool(self._task.check_mode))
        except OneLoginError as exc:
            result.update(failed=True, msg=scrub(exc, _options.candidate_secrets(args)))
            return result

        if outcome.record is None:
            result.update(changed=True, msg='Check mode: a new v1 token would be minted. None was, because a new v1 '
                                            'token invalidates the tokens other clients hold.')
            return result
        result['changed'] = outcome.minted
        result['ansible_facts'] = {FACT_NAME: _token_source.as_fact(outcome.record)}
        # The result holds the token: censor what callbacks print at any verbosity. Ansible still
        # applies the facts (and any register) from the uncensored result.
        result['_ansible_no_log'] = True
        return result


def _force(value):
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise OneLoginError('The force option of sso.onelogin.onelogin_token must be a boolean (true or false).') from None
