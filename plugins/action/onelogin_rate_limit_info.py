# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of sso.onelogin.onelogin_rate_limit_info: the rate limit, asked with the run's token."""

from __future__ import annotations

from ansible_collections.sso.onelogin.plugins.plugin_utils import _token_source
from ansible_collections.sso.onelogin.plugins.plugin_utils._action import OneLoginAction


class ActionModule(OneLoginAction):

    MODULE = 'sso.onelogin.onelogin_rate_limit_info'

    def act(self, settings, extra, check_mode):
        outcome = _token_source.obtain(settings, check_mode=check_mode)
        if outcome.record is None:
            return {'changed': False, 'msg': 'Check mode: no v1 token is cached yet and none is minted in check mode, '
                                             'so the rate limit was not asked.'}
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _client  # imports requests
        rate_limit = _client.rate_limit(settings, outcome.record['access_token'], now=_token_source.CLOCK,
                                        sleep=_token_source.SLEEP)  # the doors' clock, as obtain() uses it
        return {'changed': False, 'rate_limit': rate_limit}
