# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file only documents the module: the work is done on the controller by the action plugin
# plugins/action/onelogin_api.py.

# ansible-core 2.16's sanity tests require this boilerplate in modules (they may run on Python 2.7 targets).
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: onelogin_api
short_description: Call the OneLogin API with the run's token
version_added: 0.1.0
description:
  - Sends one request to OneLogin's API (C(/api/2/...), C(/api/1/...)) with the run's token, the one the
    M(sso.onelogin.onelogin_token) module and lookup share, and returns the answer.
  - B(Lists come whole.) For a GET it follows OneLogin's pagination to the last page and returns every item, in
    order (O(paginate)); a page that keeps failing fails the task, never a shorter list.
  - B(Rate limits are waited out.) A 429 is retried after C(Retry-After), else C(X-RateLimit-Reset), else a
    growing backoff, within O(retry_timeout). The rate limit last seen is shared by the run's workers through the
    token cache, so once the account's budget is spent the other hosts wait for the reset instead of spending
    requests on 429s - or fail at once, naming the reset time, when that is later than O(retry_timeout) allows.
  - B(Tokens are renewed once per run.) A token OneLogin rejects (401 - expired, revoked, or invalidated by a v1
    token minted elsewhere) is first checked with C(GET /auth/rate_limit), because an endpoint may refuse a request
    about itself (a failed MFA verification) while the token is fine; then nothing is minted and the task fails.
    A token that is really bad is replaced under the cache lock, only if it is still the cached one, so however
    many hosts meet the 401 the run mints one new token; the request is then sent again. A second 401 fails.
    Before every request (every page) a token with less than O(min_ttl) left is replaced, as the lookup does.
  - B(Writes are sent once.) Server errors and lost connections are retried for GET, PUT and DELETE. A POST or
    PATCH is sent again only after a 429 or when no connection could be made - one whose answer was lost may have
    created the object.
  - The request goes only to the host of the run's token (O(api_url), O(subdomain) or O(region)) - O(path) is a path
    on that host, so the bearer token never leaves the tenant.
  - It takes the same connection options as M(sso.onelogin.onelogin_token), from the same sources, and belongs to
    the same C(module_defaults) group, C(group/sso.onelogin.onelogin). It runs on the controller only and needs the
    Python library C(requests) there.
options:
  path:
    description:
      - The API path, such as C(/api/2/users) or C(/api/2/users/12345). It must start with one C(/); an absolute URL,
        another host, a query string (use O(query)) or a fragment is refused.
      - Printable ASCII without spaces; percent-encode anything else.
    type: str
    required: true
  method:
    description:
      - The HTTP method.
    type: str
    choices: [GET, POST, PUT, PATCH, DELETE]
    default: GET
  body:
    description:
      - The request body, sent as JSON (a mapping, a list, a string or a number).
      - B(A body may hold secrets), such as a user's password - set C(no_log) on such tasks.
    type: raw
  status_code:
    description:
      - The HTTP statuses that count as success. Any other status fails the task with RV(msg), RV(status) and
        RV(error).
      - For example add V(404) to look an object up without failing when it is missing.
    type: list
    elements: int
    default: [200, 201, 202, 204]
extends_documentation_fragment:
  - sso.onelogin.api_request
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
      - A GET is sent in check mode too (it changes nothing). A POST, PUT, PATCH or DELETE is not sent, and the task
        reports C(changed).
      - With O(token_api=v1) no token is ever minted in check mode (that would invalidate the tokens other clients
        hold). If none is cached yet, nothing is sent; if the cached one runs down to O(min_ttl) during a list, or
        OneLogin rejects it, the task fails rather than mint one.
notes:
  - The task is C(changed) when a POST, PUT, PATCH or DELETE succeeded (or would be sent, in check mode), never for
    a GET. Use C(changed_when) to refine it, for example C(changed_when) on C(result.status != 404).
  - The token never appears in the result or in a message; the client secret is never sent to the API. The answer's
    body (RV(json)) is returned as OneLogin sent it - set C(no_log) when it holds secrets.
  - Each page is one request, each with its own O(retry_timeout). RV(requests) counts them all (token checks
    included); RV(retries) counts the waits.
  - A successful answer that is not JSON (such as the empty body of a 204) gives RV(json) as C(null).
  - The token is taken from the cache before every request. With O(cache=none) nothing is cached, so every request
    (every page, every retry) makes a token exchange of its own; keep the default O(cache=run).
seealso:
  - plugin: sso.onelogin.onelogin_api
    plugin_type: lookup
    description: The same GET requests, from templates.
  - module: sso.onelogin.onelogin_token
    description: The run's token, which this module uses.
  - ref: ansible_collections.sso.onelogin.docsite.guide_api
    description: Calling the OneLogin API - lists, filters, creating if missing, deleting, roles; migrating from uri.
  - name: OneLogin API v2
    description: The resource API reference.
    link: https://developers.onelogin.com/api-docs/2/getting-started/dev-overview
author:
  - sso.onelogin maintainers (@sso-onelogin)
"""

EXAMPLES = r"""
- name: List every user (all pages)
  sso.onelogin.onelogin_api:
    path: /api/2/users
  register: all_users
  run_once: true

- name: Find a user by email
  sso.onelogin.onelogin_api:
    path: /api/2/users
    query:
      email: ada@example.com
  register: found
  run_once: true

- name: Create the user if missing (the password makes this task secret)
  sso.onelogin.onelogin_api:
    path: /api/2/users
    method: POST
    body:
      email: ada@example.com
      username: ada
      firstname: Ada
      lastname: Lovelace
      password: "{{ vault_ada_password }}"
      password_confirmation: "{{ vault_ada_password }}"
  when: found.json | length == 0
  no_log: true
  run_once: true

- name: Delete a user; a missing one is fine
  sso.onelogin.onelogin_api:
    path: "/api/2/users/{{ user_id }}"
    method: DELETE
    status_code: [204, 404]
  register: deleted
  changed_when: deleted.status == 204
  run_once: true

- name: Connection options once for the whole play
  module_defaults:
    group/sso.onelogin.onelogin:
      subdomain: acme
  block:
    - name: The roles, 100 per page
      sso.onelogin.onelogin_api:
        path: /api/2/roles
        page_size: 100
      register: onelogin_roles
      run_once: true
"""

RETURN = r"""
json:
  description:
    - The answer's body, decoded. For a paginated GET, every item of every page, in order.
    - C(null) when the body is empty or not JSON.
  returned: success
  type: raw
  sample: [{"id": 100001, "email": "ada@example.com", "username": "ada"}]
status:
  description:
    - The HTTP status of the last answer (for a list, of its last page). On failure, the status that failed the task,
      or V(-1) when no answer came.
  returned: success; on failure once the request got as far as being sent
  type: int
  sample: 200
url:
  description: The URL of the last request, with its query; it never holds the token.
  returned: always, except when the arguments are refused
  type: str
  sample: https://acme.onelogin.com/api/2/users?email=ada%40example.com
headers:
  description: The headers of the last answer, their names in lower case.
  returned: success
  type: dict
  sample: {"content-type": "application/json; charset=utf-8", "total-count": "1"}
pagination:
  description: How the answer came.
  returned: success
  type: dict
  contains:
    pages:
      description: Pages read (1 for an answer that is not a paginated list).
      type: int
      returned: success
      sample: 3
    total_count:
      description: The C(Total-Count) OneLogin sent with the list, when it sent one.
      type: int
      returned: when OneLogin sent it
      sample: 201
rate_limit:
  description: The C(X-RateLimit-*) headers of the last answer, those that were sent.
  returned: success
  type: dict
  contains:
    limit:
      description: Calls allowed per window (C(X-RateLimit-Limit)).
      type: int
      returned: when sent
      sample: 5000
    remaining:
      description: Calls left in the window (C(X-RateLimit-Remaining)).
      type: int
      returned: when sent
      sample: 4990
    reset:
      description: Seconds until the window resets (C(X-RateLimit-Reset)); not a timestamp.
      type: int
      returned: when sent
      sample: 1800
requests:
  description: Requests sent, every page, retry and token check included.
  returned: always, except when the arguments are refused
  type: int
  sample: 3
retries:
  description: Requests that were sent again after a passing failure or a 429.
  returned: always, except when the arguments are refused
  type: int
  sample: 0
token_renewed:
  description: Whether OneLogin rejected the token and a new one was obtained (by this task or, for the same 401, by another host's).
  returned: always, except when the arguments are refused
  type: bool
  sample: false
error:
  description: OneLogin's account of a failure, read from whichever of its error shapes it sent.
  returned: failure, when OneLogin answered
  type: dict
  contains:
    name:
      description: The error's name or type, such as C(UnprocessableEntityError).
      type: str
      returned: failure
      sample: UnprocessableEntityError
    message:
      description: OneLogin's message.
      type: str
      returned: failure
      sample: 'Validation failed: Email must be unique'
    field:
      description: The field OneLogin named, when it named one.
      type: str
      returned: when OneLogin named one
      sample: email
msg:
  description: What happened and what to do, on failure; what was not sent, in check mode.
  returned: failure, check mode
  type: str
"""
