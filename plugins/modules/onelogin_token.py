# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file only documents the module: the work is done on the controller by the action plugin
# plugins/action/onelogin_token.py (ansible-core's own set_fact is built the same way).

# ansible-core 2.16's sanity tests require this boilerplate in modules (they may run on Python 2.7 targets).
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: onelogin_token
short_description: Obtain the run's OneLogin API access token, once, and share it as a fact
version_added: 0.1.0
description:
  - Exchanges a OneLogin API credential (client ID and secret) for an access token and sets it as the host fact
    C(ansible_facts['onelogin_token']), ready for C(Authorization) headers of later tasks.
  - B(One run mints one token.) The token is kept in a cache that all worker processes of the current
    C(ansible-playbook) run share, so this module on every host, in every play and every C(serial) batch, with the
    linear or free strategy, together with every evaluation of the P(sso.onelogin.onelogin_token#lookup) lookup,
    makes exactly one token exchange per credential set. This matters with OneLogin's v1 token API, where every new
    token invalidates the older ones, and saves round trips against the rate-limited API with v2.
  - The module runs on the controller only. It opens no connection to the target and needs nothing installed there;
    the Python library C(requests) is needed where ansible-core runs.
  - By default the cache lives in the run's private temporary directory (mode 0700, files 0600) and is removed when
    the run ends. With O(cache=persistent) it lives in O(cache_dir), so that back-to-back and concurrent runs on the
    controller share one valid token. The cache never holds the client secret.
  - A cached token is reused while it has more than O(min_ttl) seconds left; after that a new one is obtained, once,
    for everyone.
options:
  state:
    description:
      - V(present) obtains the token (from the cache, or from OneLogin once) and sets the fact.
      - V(absent) revokes the token cached for these credentials (or O(access_token)) with
        C(POST /auth/oauth2/revoke), drops it from the run's cache and from the persistent cache, and clears the fact
        (sets it to an empty dictionary) on the host. It is the counterpart of connecting, like PowerShell's
        C(Disconnect-OneLogin). Only the first host to run the task has something to revoke and reports C(changed);
        the others find nothing cached.
      - B(With O(token_api=v2) the token is shared) by every client that uses the same credentials (OneLogin hands
        them all the same token until it expires), so revoking it ends their sessions too, including other
        C(ansible-playbook) runs. Revoke only when these credentials are yours alone.
      - Later tasks and lookups of the run that need a token obtain a new one.
    type: str
    choices: [present, absent]
    default: present
  access_token:
    description:
      - With O(state=absent), the token to revoke instead of the cached one, for example a token obtained outside this
        collection. It must have been issued to the same credentials. If it is the cached token, it is dropped from
        the cache too.
      - Not allowed with O(state=present).
    type: str
  force:
    description:
      - Obtain a new token even if the cache holds a valid one, and share the new token with the rest of the run.
      - A forced task mints at most one token, however many hosts it runs on; the other hosts of that task reuse it.
      - With O(token_api=v2), OneLogin returns the same token until it expires, so a forced exchange may give back the
        token already cached.
      - Applies to O(state=present) only.
    type: bool
    default: false
extends_documentation_fragment:
  - sso.onelogin.connection
  - sso.onelogin.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.facts
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - With O(token_api=v2) the token is obtained in check mode too, so that later tasks and lookups work. This
        changes nothing in OneLogin, which hands the same token to every caller with these credentials.
      - With O(token_api=v1) a token already cached in this run is reused, but no new one is minted, because minting
        a v1 token invalidates the tokens other clients hold. The task then reports C(changed) and sets no fact.
      - With O(state=absent) nothing is revoked in check mode; the task reports C(changed) if there is a token to
        revoke.
  facts:
    support: full
notes:
  - The options can also be set for every task of the group with C(module_defaults) and
    C(group/sso.onelogin.onelogin), from the E(ONELOGIN_*) environment variables of the controller, and (except the
    secret) in the C([onelogin]) section of C(ansible.cfg). Task arguments win over module_defaults, which win over the
    environment, which wins over C(ansible.cfg). Inventory variables such as C(onelogin_client_id) are read by the
    lookup only.
  - The printed result of this task is always censored (as with C(no_log)), at any verbosity, because it holds the
    token. The fact and a registered result still carry the values for later tasks. Error messages never contain the
    secret or a token.
  - The result is a host fact. If a persistent fact cache is configured (C(fact_caching) such as C(jsonfile) or
    C(redis)), the token is written there like any other fact.
  - The fact holds the token as it was when the task ran. In a play that outlasts the token (10 hours, less
    O(min_ttl)), take the token from the P(sso.onelogin.onelogin_token#lookup) lookup, which hands out the
    replacement, or run this module again.
  - Calls to OneLogin that fail for a passing reason (connection errors, timeouts, HTTP 429 and 5xx) are retried
    within O(retry_timeout), under the cache lock, so a run still makes one successful exchange.
  - Refer to the token as C(ansible_facts['onelogin_token']); ansible-core 2.20 deprecates reading facts as
    top-level variables.
seealso:
  - plugin: sso.onelogin.onelogin_token
    plugin_type: lookup
    description: The same token from a template, shared with this module through the run's cache.
  - module: sso.onelogin.onelogin_rate_limit_info
    description: The remaining rate limit, asked with the same token.
  - ref: ansible_collections.sso.onelogin.docsite.guide_role
    description: >-
      The sso.onelogin.connect role, which obtains the run's token, can check the rate limit, and sets ready-made
      request headers.
  - ref: ansible_collections.sso.onelogin.docsite.guide_one_token_per_run
    description: How one token serves the whole run, and when it is replaced.
  - name: OneLogin API - Revoke Tokens
    description: The endpoint O(state=absent) calls.
    link: https://developers.onelogin.com/api-docs/2/oauth20-tokens/revoke-tokens
  - name: OneLogin API - Generate Tokens v2
    description: The token endpoint this module calls by default.
    link: https://developers.onelogin.com/api-docs/2/oauth20-tokens/generate-tokens-2
author:
  - sso.onelogin maintainers (@sso-onelogin)
"""

EXAMPLES = r"""
- name: Call the OneLogin API from every host with one token for the whole run
  module_defaults:
    group/sso.onelogin.onelogin:
      subdomain: acme
  block:
    - name: Obtain the run's token (credentials from ONELOGIN_CLIENT_ID / ONELOGIN_CLIENT_SECRET)
      sso.onelogin.onelogin_token:

    - name: List users
      ansible.builtin.uri:
        url: "{{ ansible_facts['onelogin_token']['api_url'] }}/api/2/users"
        headers:
          Authorization: "Bearer {{ ansible_facts['onelogin_token']['access_token'] }}"
      no_log: true

- name: Credentials from task arguments (for example from Ansible Vault)
  sso.onelogin.onelogin_token:
    client_id: "{{ vault_onelogin_client_id }}"
    client_secret: "{{ vault_onelogin_client_secret }}"
    region: eu

- name: Use the older v1 token API; the whole run still shares one token
  sso.onelogin.onelogin_token:
    token_api: v1
    subdomain: acme

- name: Replace the cached token with a new one (once for all hosts of this task)
  sso.onelogin.onelogin_token:
    force: true

- name: Keep the token between runs on this controller (three runs in a row make one exchange)
  sso.onelogin.onelogin_token:
    cache: persistent

- name: Revoke the run's token at the end (with v2 this ends every session that shares it)
  sso.onelogin.onelogin_token:
    state: absent
  run_once: true

- name: Show when the token expires (never print the token itself)
  ansible.builtin.debug:
    msg: "Token valid until {{ ansible_facts['onelogin_token']['expires_at'] }}"
"""

RETURN = r"""
revoked:
  description: Whether a token was revoked (always V(false) in check mode).
  returned: O(state=absent)
  type: bool
  sample: true
ansible_facts:
  description: Facts set for the host.
  returned: success, except in check mode with O(token_api=v1) when no token is cached yet
  type: dict
  contains:
    onelogin_token:
      description:
        - The run's OneLogin access token and what to know about it.
        - With O(state=absent), an empty dictionary.
      returned: success
      type: dict
      contains:
        access_token:
          description: The bearer token for OneLogin API calls, as C(Authorization) C(Bearer <access_token>).
          returned: O(state=present)
          type: str
          sample: 8dc5d94c7bb1b39e6efe2df7b6f88c1b4437d10b0af5fd1e8a5b8e3a8c0f4d2a
        token_type:
          description: The token type OneLogin reported.
          returned: O(state=present)
          type: str
          sample: bearer
        expires_in:
          description: Seconds the token had left when this task ran.
          returned: O(state=present)
          type: int
          sample: 35999
        expires_at:
          description:
            - When the token expires, in ISO 8601 UTC. Computed from OneLogin's C(created_at) plus C(expires_in),
              because OneLogin's v2 API may hand back a token it issued earlier.
          returned: O(state=present)
          type: str
          sample: '2026-11-23T22:16:43Z'
        created_at:
          description: When OneLogin created the token, in ISO 8601 UTC.
          returned: O(state=present)
          type: str
          sample: '2026-11-23T12:16:43Z'
        account_id:
          description: The OneLogin account the API credential belongs to, when OneLogin reports it.
          returned: O(state=present)
          type: int
          sample: 555555
        api_url:
          description: The base URL the token was obtained from and is valid for; prefix it to API paths.
          returned: O(state=present)
          type: str
          sample: https://acme.onelogin.com
"""
