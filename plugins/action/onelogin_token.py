# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of sso.onelogin.onelogin_token: adapts a task to the shared token source."""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

from ansible_collections.sso.onelogin.plugins.plugin_utils import _token_source
from ansible_collections.sso.onelogin.plugins.plugin_utils._action import OneLoginAction
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

FACT_NAME = 'onelogin_token'
MODULE = 'sso.onelogin.onelogin_token'


class ActionModule(OneLoginAction):

    MODULE = MODULE
    ARGUMENT_SPEC = {
        'state': {'type': 'str', 'choices': ['present', 'absent'], 'default': 'present'},
        'force': {'type': 'bool', 'default': False},
        'access_token': {'type': 'str', 'no_log': True},
    }
    SECRET_ARGS = ('access_token',)

    def check_extra(self, extra):
        access_token = extra['access_token']
        if access_token is not None and not access_token.strip():
            raise OneLoginError('The access_token option of %s must be a non-empty string.', MODULE)
        if extra['state'] == 'present' and access_token is not None:
            raise OneLoginError('The access_token option of %s is for state=absent (the token to revoke); with '
                                'state=present the module obtains the token itself.', MODULE)
        if extra['state'] == 'absent' and extra['force']:
            raise OneLoginError('The force option of %s applies to state=present only.', MODULE)

    def act(self, settings, extra, check_mode):
        if extra['state'] == 'absent':
            return self._absent(settings, extra['access_token'], check_mode)
        outcome = _token_source.obtain(settings, renew_for=self._task._uuid if extra['force'] else None,
                                       check_mode=check_mode)
        if outcome.record is None:
            return {'changed': True, 'msg': 'Check mode: a new v1 token would be minted. None was, because a new v1 '
                                            'token invalidates the tokens other clients hold.'}
        # The result holds the token: censor what callbacks print at any verbosity. Ansible still
        # applies the facts (and any register) from the uncensored result.
        return {'changed': outcome.minted, 'ansible_facts': {FACT_NAME: _token_source.as_fact(outcome.record)},
                '_ansible_no_log': True}

    def _absent(self, settings, access_token, check_mode):
        skipped = []
        revoked = _token_source.revoke(settings, access_token=access_token, check_mode=check_mode, warnings=skipped)
        # The fact is cleared on every host that runs the task: the token stops working for all of them.
        result = {'changed': revoked is not None, 'revoked': revoked is not None and not check_mode,
                  'ansible_facts': {FACT_NAME: {}}}
        if revoked is None:
            result['msg'] = 'No OneLogin token to revoke: none is cached for these credentials.'
        elif check_mode:
            result['msg'] = 'Check mode: the OneLogin token would be revoked.'
        else:
            result['msg'] = 'Revoked the OneLogin token and dropped it from the cache.'
        if skipped:  # a cache folder that failed the safety checks was left alone: say so
            result['warnings'] = [str(warning) for warning in skipped]
        return result
