# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of sso.onelogin.onelogin_api: adapts a task to the shared API engine (_api)."""

from __future__ import annotations

from ansible_collections.sso.onelogin.plugins.plugin_utils._action import OneLoginAction
from ansible_collections.sso.onelogin.plugins.plugin_utils._api_request import (
    DEFAULT_MAX_PAGES, DEFAULT_STATUS_CODES, METHODS, request_from)

MODULE = 'sso.onelogin.onelogin_api'


class ActionModule(OneLoginAction):

    MODULE = MODULE
    ARGUMENT_SPEC = {
        'path': {'type': 'str', 'required': True},
        'method': {'type': 'str', 'choices': list(METHODS), 'default': 'GET'},
        'query': {'type': 'dict'},
        'body': {'type': 'raw'},
        'status_code': {'type': 'list', 'elements': 'int', 'default': list(DEFAULT_STATUS_CODES)},
        'paginate': {'type': 'bool', 'default': True},
        'page_size': {'type': 'int'},
        'max_pages': {'type': 'int', 'default': DEFAULT_MAX_PAGES},
    }

    def check_extra(self, extra):
        self._request = request_from(door=MODULE, **extra)

    def act(self, settings, extra, check_mode):
        from ansible_collections.sso.onelogin.plugins.plugin_utils import _api
        # What OneLogin sent may hold "{{ }}" (a user's name, say): ansible-core keeps an action's results from being
        # templated (wrapped as unsafe before 2.19, untrusted from 2.19), as for modules.
        return _api.call(settings, self._request, check_mode=check_mode)

    def failure_fields(self, exc):
        fields = dict(getattr(exc, 'counters', None) or {})
        for name in ('status', 'error', 'url'):
            value = getattr(exc, name, None)
            if value is not None:
                fields[name] = value
        return fields
