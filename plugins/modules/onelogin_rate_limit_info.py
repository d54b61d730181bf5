# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file only documents the module: the work is done on the controller by the action plugin
# plugins/action/onelogin_rate_limit_info.py.

# ansible-core 2.16's sanity tests require this boilerplate in modules (they may run on Python 2.7 targets).
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: onelogin_rate_limit_info
short_description: The OneLogin API rate limit left for the run's token
version_added: 0.1.0
description:
  - Asks OneLogin how many API calls are left in the current hour (C(GET /auth/rate_limit), with the header
    C(Authorization) set to C(bearer:<token>) as OneLogin documents it) and returns the limit, the calls remaining
    and the seconds until the limit is reset.
  - It asks with the run's token, the one the M(sso.onelogin.onelogin_token) module and the
    P(sso.onelogin.onelogin_token#lookup) lookup share. It never causes a second token exchange. If no token is cached
    yet it obtains the run's token, once, like the module would.
  - It takes the same connection options as M(sso.onelogin.onelogin_token), from the same sources, and belongs to
    the same C(module_defaults) group, C(group/sso.onelogin.onelogin).
  - The module runs on the controller only and needs the Python library C(requests) there.
  - The credential needs one of the scopes Read Users, Manage Users, Read All or Manage All.
extends_documentation_fragment:
  - sso.onelogin.connection
  - sso.onelogin.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - It changes nothing and runs in check mode too. With O(token_api=v1), if no token is cached yet, none is minted
        in check mode (that would invalidate the tokens other clients hold), so the rate limit is not asked and
        RV(rate_limit) is not returned.
notes:
  - OneLogin describes the limit as 5,000 calls per hour; the numbers come from OneLogin, not from the collection.
  - If the run's token was revoked or (with O(token_api=v1)) invalidated by a token minted elsewhere, the task fails
    and says so; obtain a new token with M(sso.onelogin.onelogin_token) and O(sso.onelogin.onelogin_token#module:force=true).
seealso:
  - module: sso.onelogin.onelogin_token
    description: Obtains the run's token that this module asks with.
  - ref: ansible_collections.sso.onelogin.docsite.guide_role
    description: >-
      The sso.onelogin.connect role, which obtains the run's token, can check the rate limit, and sets ready-made
      request headers.
  - name: OneLogin API - Get Rate Limit
    description: The endpoint this module calls.
    link: https://developers.onelogin.com/api-docs/2/oauth20-tokens/get-rate-limit
author:
  - sso.onelogin maintainers (@sso-onelogin)
"""

EXAMPLES = r"""
- name: Ask how many OneLogin API calls are left this hour
  sso.onelogin.onelogin_rate_limit_info:
    subdomain: acme
  register: onelogin_limit
  run_once: true

- name: Stop before a large batch would run into the limit
  ansible.builtin.assert:
    that: onelogin_limit.rate_limit.remaining >= 500
    fail_msg: >-
      Only {{ onelogin_limit.rate_limit.remaining }} OneLogin API calls are left;
      the limit is reset in {{ onelogin_limit.rate_limit.reset }} seconds.
  run_once: true
"""

RETURN = r"""
rate_limit:
  description: The rate limit of the API credential, as OneLogin reports it.
  returned: success, except in check mode with O(token_api=v1) when no token is cached yet
  type: dict
  contains:
    limit:
      description: API calls allowed per hour (C(X-RateLimit-Limit)).
      returned: success
      type: int
      sample: 5000
    remaining:
      description: API calls left in the current hour (C(X-RateLimit-Remaining)).
      returned: success
      type: int
      sample: 4988
    reset:
      description: Seconds until the limit is reset (C(X-RateLimit-Reset)); not a timestamp.
      returned: success
      type: int
      sample: 832
"""
