# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

DOCUMENTATION = r"""
---
name: onelogin_api
short_description: GET from the OneLogin API with the run's token, every page of a list
version_added: 0.1.0
description:
  - Sends a GET request to OneLogin's API for each term (a path such as C(/api/2/users)) with the run's token, the
    one the M(sso.onelogin.onelogin_token) module and lookup share, and returns one element per term - its answer's
    body. For a list, that is every item of every page (O(paginate)), so
    C(lookup('sso.onelogin.onelogin_api', '/api/2/users', query=dict(email='ada@example.com'))) is the list of
    matching users.
  - Pagination, rate limits (shared by the run's workers), retries and the renewal of a rejected token work as in
    the M(sso.onelogin.onelogin_api) module; see there.
  - B(A lookup runs again at every evaluation.) Ansible templates lazily, so a variable holding this lookup sends
    its requests again each time it is used, on every host. For a large list, or a list used several times, use the
    M(sso.onelogin.onelogin_api) module once (C(run_once)) with C(register) instead.
  - Only GET. To create, change or delete, use the M(sso.onelogin.onelogin_api) module.
  - Connection options come from keyword arguments, then inventory or play variables, then the E(ONELOGIN_*)
    environment variables, then the C([onelogin]) section of C(ansible.cfg), as for the
    P(sso.onelogin.onelogin_token#lookup) lookup.
options:
  _terms:
    description: API paths on the host of the run's token, each starting with one C(/), such as C(/api/2/users).
    required: true
    type: list
    elements: str
extends_documentation_fragment:
  - sso.onelogin.api_request
  - sso.onelogin.connection
  - sso.onelogin.connection.plugins
notes:
  - module_defaults do not apply to lookups; set the connection options in variables or in the environment.
  - Error messages never contain the secret or a token.
seealso:
  - module: sso.onelogin.onelogin_api
    description: The same requests as a task, any method, with C(register).
  - ref: ansible_collections.sso.onelogin.docsite.guide_api
    description: Calling the OneLogin API.
author:
  - sso.onelogin maintainers (@sso-onelogin)
"""

EXAMPLES = r"""
- name: Greet a user found by email
  ansible.builtin.debug:
    msg: "Hello {{ (lookup('sso.onelogin.onelogin_api', '/api/2/users', query={'email': 'ada@example.com'}) | first).firstname }}"

- name: How many roles and apps (two terms, two lists)
  ansible.builtin.debug:
    msg: "{{ query('sso.onelogin.onelogin_api', '/api/2/roles', '/api/2/apps') | map('length') | list }}"
"""

RETURN = r"""
_raw:
  description:
    - One element per term - the answer's body, decoded; for a list, every item of every page, in order.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.sso.onelogin.plugins.plugin_utils._preload import API_PATH, TOKEN_PATH, preload

# Every forked worker imports this module: load the engine from bytecode, not from source (see _preload).
preload(TOKEN_PATH)

from ansible_collections.sso.onelogin.plugins.plugin_utils import _definitions, _options
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

# Before ansible-core parses this file's documentation to learn the options, offer it its reading of
# them, generated from that documentation (see _definitions): every forked worker imports this module.
_definitions.register(__name__, _definitions.API_LOOKUP)

NAME = 'sso.onelogin.onelogin_api'
REQUEST_OPTIONS = ('query', 'paginate', 'page_size', 'max_pages')


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        candidates = []
        try:
            preload(API_PATH)  # what a call needs, from bytecode too
            from ansible_collections.sso.onelogin.plugins.plugin_utils._option_errors import candidate_secrets
            candidates = candidate_secrets(kwargs, variables)
            if not terms:
                raise OneLoginError('The %s lookup needs at least one API path, for example '
                                    "lookup('%s', '/api/2/users').", NAME, NAME)
            asked = {name: kwargs.pop(name) for name in REQUEST_OPTIONS if name in kwargs}
            unknown = sorted(set(kwargs) - set(_options.CONNECTION_OPTIONS))
            if unknown:
                raise OneLoginError('Unsupported options for the %s lookup: %s. Supported: %s.', NAME,
                                    ', '.join(unknown), ', '.join(_options.CONNECTION_OPTIONS + REQUEST_OPTIONS))
            from ansible_collections.sso.onelogin.plugins.plugin_utils import _api
            from ansible_collections.sso.onelogin.plugins.plugin_utils._api_request import request_from
            requests = [request_from(term, door=NAME + ' lookup', **asked) for term in terms]
            settings = _options.resolve(kwargs, variables=variables, door=_options.LOOKUP, templar=self._templar)
            return [_api.call(settings, request)['json'] for request in requests]
        except OneLoginError as exc:
            raise AnsibleLookupError(str(exc.hide(candidates))) from None
        except AnsibleError:
            raise  # Ansible's own, such as an undefined variable in an option: it holds no secret of ours
        except Exception as exc:  # a bug: report it without a traceback that could carry a secret
            from ansible_collections.sso.onelogin.plugins.plugin_utils._scrub import unexpected
            raise AnsibleLookupError(unexpected(exc, candidates)) from None
