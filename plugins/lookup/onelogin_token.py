# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

DOCUMENTATION = r"""
---
name: onelogin_token
short_description: The run's OneLogin API access token, for templates
version_added: 0.1.0
description:
  - Returns the OneLogin access token of the current C(ansible-playbook) run for a credential set, obtaining it if
    needed. With O(output=record) returns the whole token record, with the same keys as the fact of the
    M(sso.onelogin.onelogin_token) module.
  - B(Evaluate it as often as you like.) Ansible templates variables lazily, so a lookup in a variable runs again at
    every use, on every host, in every forked worker. This lookup shares one cache with every worker of the run and
    with the M(sso.onelogin.onelogin_token) module, so the whole run makes exactly one token exchange per credential
    set. On the cached path it reads a small file under a lock and makes no network call.
  - A cached token is handed out while it has more than O(min_ttl) seconds left; after that a new one is obtained,
    once, for everyone.
  - The lookup takes no terms. Options come from keyword arguments, then inventory or play variables, then the
    E(ONELOGIN_*) environment variables, then the C([onelogin]) section of C(ansible.cfg) (never the secret).
options:
  output:
    description:
      - V(access_token) returns the token string.
      - V(record) returns a dictionary with C(access_token), C(token_type), C(expires_in), C(expires_at),
        C(created_at), C(account_id) and C(api_url), described in RV(_raw).
    type: str
    choices: [access_token, record]
    default: access_token
extends_documentation_fragment:
  - sso.onelogin.connection
  - sso.onelogin.connection.plugins
notes:
  - module_defaults do not apply to lookups. Set the options in variables (C(onelogin_client_id) and the others)
    or in the environment, and both the lookup and the module find them, except that the module does not read
    variables.
  - By default the cache lives in the run's private temporary directory and is removed when the run ends. Outside a
    playbook run (for example in C(ansible -m debug)) each command is a run of its own. With O(cache=persistent)
    later runs on the controller share the token too.
  - In a long play, every evaluation hands out the current token, so a template that evaluates the lookup at each
    use always gets a token with more than O(min_ttl) seconds left. Passing failures of OneLogin are retried within
    O(retry_timeout).
  - Error messages never contain the secret or a token. A template that prints the token, such as a C(debug) task,
    does show it; use C(no_log) on such tasks.
seealso:
  - module: sso.onelogin.onelogin_token
    description: The same token as a host fact, shared with this lookup through the run's cache.
  - module: sso.onelogin.onelogin_rate_limit_info
    description: The remaining rate limit, asked with the same token.
  - ref: ansible_collections.sso.onelogin.docsite.guide_role
    description: >-
      The sso.onelogin.connect role, which obtains the run's token, can check the rate limit, and sets ready-made
      request headers.
  - ref: ansible_collections.sso.onelogin.docsite.guide_lookups
    description: Lookups, lazy templating, and why this one is cheap to evaluate often.
author:
  - sso.onelogin maintainers (@sso-onelogin)
"""

EXAMPLES = r"""
- name: A header that templates the lookup lazily, at each use, without minting again
  ansible.builtin.uri:
    url: https://acme.onelogin.com/api/2/users
    headers: "{{ onelogin_headers }}"
  vars:
    onelogin_subdomain: acme
    onelogin_headers:
      Authorization: "Bearer {{ lookup('sso.onelogin.onelogin_token') }}"
  no_log: true

- name: Show when the token expires, not the token
  ansible.builtin.debug:
    msg: "{{ lookup('sso.onelogin.onelogin_token', output='record')['expires_at'] }}"

- name: A second tenant with its own credentials gets its own token
  ansible.builtin.set_fact:
    other_tenant_headers:
      Authorization: >-
        Bearer {{ lookup('sso.onelogin.onelogin_token', subdomain='other', client_id=other_id,
                         client_secret=other_secret) }}
  no_log: true
"""

RETURN = r"""
_raw:
  description:
    - A one-element list. With O(output=access_token) it holds the access token string.
    - With O(output=record) it holds the token record, whose keys follow.
  type: list
  elements: raw
  contains:
    access_token:
      description: The bearer token for OneLogin API calls.
      type: str
      sample: 8dc5d94c7bb1b39e6efe2df7b6f88c1b4437d10b0af5fd1e8a5b8e3a8c0f4d2a
    token_type:
      description: The token type OneLogin reported.
      type: str
      sample: bearer
    expires_in:
      description: Seconds the token had left when the lookup ran.
      type: int
      sample: 35999
    expires_at:
      description: When the token expires, in ISO 8601 UTC (OneLogin's C(created_at) plus C(expires_in)).
      type: str
      sample: '2026-11-23T22:16:43Z'
    created_at:
      description: When OneLogin created the token, in ISO 8601 UTC.
      type: str
      sample: '2026-11-23T12:16:43Z'
    account_id:
      description: The OneLogin account of the API credential, when OneLogin reports it.
      type: int
      sample: 555555
    api_url:
      description: The base URL the token was obtained from and is valid for.
      type: str
      sample: https://acme.onelogin.com
"""

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.sso.onelogin.plugins.plugin_utils._preload import TOKEN_PATH, preload

# Every forked worker imports this module: load the engine from bytecode, not from source (see _preload).
preload(TOKEN_PATH)

from ansible_collections.sso.onelogin.plugins.plugin_utils import _definitions, _options, _token_source
from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError

# Before ansible-core parses this file's documentation to learn the options, offer it its reading of
# them, generated from that documentation (see _definitions): every forked worker imports this module.
_definitions.register(__name__, _definitions.TOKEN_LOOKUP)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError(
                'The sso.onelogin.onelogin_token lookup takes no terms; pass options as keywords, for example '
                "lookup('sso.onelogin.onelogin_token', subdomain='acme').")
        output = kwargs.pop('output', 'access_token')
        if output not in ('access_token', 'record'):
            raise AnsibleLookupError('The output option of the sso.onelogin.onelogin_token lookup must be '
                                     'access_token or record.')
        try:
            unknown = sorted(set(kwargs) - set(_options.CONNECTION_OPTIONS))
            if unknown:
                raise OneLoginError('Unsupported options for the sso.onelogin.onelogin_token lookup: %s. Supported: %s.',
                                    ', '.join(unknown), ', '.join(_options.CONNECTION_OPTIONS + ('output',)))
            settings = _options.resolve(kwargs, variables=variables, door=_options.LOOKUP, templar=self._templar)
            record = _token_source.obtain(settings).record
            if output == 'record':
                return [_token_source.as_fact(record)]
            return [record['access_token']]
        except OneLoginError as exc:
            raise AnsibleLookupError(str(exc.hide(candidate_secrets(kwargs, variables)))) from None
        except AnsibleError:
            raise  # Ansible's own, such as an undefined variable in an option: it holds no secret of ours
        except Exception as exc:  # a bug: report it without a traceback that could carry a secret
            from ansible_collections.sso.onelogin.plugins.plugin_utils._scrub import unexpected
            raise AnsibleLookupError(unexpected(exc, candidate_secrets(kwargs, variables))) from None


def candidate_secrets(kwargs, variables):
    from ansible_collections.sso.onelogin.plugins.plugin_utils._option_errors import candidate_secrets as found
    return found(kwargs, variables)
