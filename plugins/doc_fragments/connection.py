# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The OneLogin connection options, documented once for the module and the lookup."""

from __future__ import annotations


class ModuleDocFragment:
    # The options themselves. Every door (module and lookup) extends this fragment.
    # The lookup also extends PLUGINS below, which adds the variable, environment and
    # ansible.cfg sources. The module reads the same environment variables and
    # ansible.cfg keys on the controller (it runs there), but not inventory variables.
    DOCUMENTATION = r"""
notes:
  - An option set to an empty string (or only spaces) counts as not set, wherever it is set - task argument, lookup
    keyword, variable, environment variable or C(ansible.cfg) - and the next source decides. So an empty O(api_url)
    does not override E(ONELOGIN_API_URL), and an empty E(ONELOGIN_REGION) means the default.
  - The client ID and secret must be printable ASCII, as OneLogin issues them; anything else is refused before a
    request is sent, with a message that shows none of the value.
options:
  client_id:
    description:
      - The client ID of a OneLogin API credential (Developers > API Credentials in the OneLogin admin portal).
      - Required. When not given here, it is read from the E(ONELOGIN_CLIENT_ID) environment variable on the controller,
        then from C(client_id) in the C([onelogin]) section of C(ansible.cfg).
    type: str
  client_secret:
    description:
      - The client secret of that API credential. It is never printed, logged or written to disk.
      - Required. When not given here, it is read from the E(ONELOGIN_CLIENT_SECRET) environment variable on the controller.
        It is deliberately not read from C(ansible.cfg).
    type: str
  region:
    description:
      - The OneLogin region of the tenant, used to build the legacy regional API host C(https://api.<region>.onelogin.com)
        when neither O(api_url) nor O(subdomain) is set.
      - Environment variable E(ONELOGIN_REGION); C(region) in the C([onelogin]) section of C(ansible.cfg).
    type: str
    choices: [us, eu]
    default: us
  subdomain:
    description:
      - The tenant's subdomain, for example V(acme) for C(https://acme.onelogin.com). OneLogin recommends the subdomain
        host over the regional one.
      - Takes precedence over O(region) set at the same level; O(api_url) at the same level takes precedence over it.
        Levels, most specific first - task argument or lookup keyword, variable, environment, C(ansible.cfg) - so
        a subdomain given to one lookup is not overridden by E(ONELOGIN_API_URL) in the environment.
      - Environment variable E(ONELOGIN_SUBDOMAIN); C(subdomain) in the C([onelogin]) section of C(ansible.cfg).
    type: str
  api_url:
    description:
      - The base URL of the OneLogin API, scheme and host with an optional port and nothing else,
        for example V(https://acme.onelogin.com) or V(http://127.0.0.1:8080) for the bundled emulator.
      - Takes precedence over O(subdomain) and O(region) set at the same level or a less specific one.
      - A plain C(http://) URL is accepted only for a loopback host (C(127.0.0.0/8), C(::1), C(localhost)), so that
        the client secret never travels in clear text over a network.
      - Environment variable E(ONELOGIN_API_URL); C(api_url) in the C([onelogin]) section of C(ansible.cfg).
    type: str
  token_api:
    description:
      - Which OneLogin token endpoint to use.
      - V(v2) calls C(POST /auth/oauth2/v2/token). OneLogin hands every caller with the same credentials the same token
        until it expires.
      - V(v1) calls C(POST /auth/oauth2/token). Every new v1 token invalidates the older tokens of those credentials,
        which is why this collection mints exactly one token per run and shares it.
      - Environment variable E(ONELOGIN_TOKEN_API); C(token_api) in the C([onelogin]) section of C(ansible.cfg).
    type: str
    choices: [v2, v1]
    default: v2
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the OneLogin API. Turn it off only to test against a host with a
        self-signed certificate.
      - Only true/false values (V(true), V(false), V(yes), V(no), V(1), V(0), V(on), V(off)) are accepted; anything
        else is an error rather than a silent V(false).
      - Environment variable E(ONELOGIN_VALIDATE_CERTS); C(validate_certs) in the C([onelogin]) section of C(ansible.cfg).
    type: bool
    default: true
  timeout:
    description:
      - Seconds that one request to OneLogin may take as a whole, from connecting to the last byte of the answer. A
        server that answers slowly, or a byte at a time, is cut off then; the request counts as a passing failure
        and is tried again within O(retry_timeout). Each connection attempt and each read is also limited to this
        many seconds. Answers larger than 4 MiB are refused.
      - A whole number from 1 to 3600.
      - Environment variable E(ONELOGIN_TIMEOUT); C(timeout) in the C([onelogin]) section of C(ansible.cfg).
    type: int
    default: 10
  min_ttl:
    description:
      - A cached token is handed out only while it has more than this many seconds left. When it has less, a new token
        is obtained, once, and shared with every host and task of the run.
      - With O(token_api=v2), OneLogin hands back the same token until it expires, so a token that comes back with this
        many seconds or fewer left is waited out (the task waits until it has expired, at most O(min_ttl) seconds)
        and a fresh one is obtained. That wait happens at most once per token lifetime and is better than handing out
        a token that expires under a later API call.
      - With O(token_api=v1), every new token invalidates the one before at once. So the replacement is minted only
        once the old token is down to half of O(min_ttl) (a task that needs a token before then waits, at most
        O(min_ttl)/2 seconds), so that whoever received the old token had at least that long to use it.
      - A whole number from 0 to 35999, below the token lifetime (36000 seconds).
      - Environment variable E(ONELOGIN_MIN_TTL); C(min_ttl) in the C([onelogin]) section of C(ansible.cfg).
    type: int
    default: 300
  retry_timeout:
    description:
      - Seconds during which a call to OneLogin that failed for a passing reason is tried again. Passing reasons are a
        connection that fails or is reset, an answer that does not come within O(timeout), HTTP 500, 502, 503 and
        504, and HTTP 429 (too many requests). Answers such as 400, 401, 403 and 404 are never retried.
      - Waits between tries grow exponentially from half a second, with random jitter so that several controllers do
        not retry in step; a C(Retry-After) header of a 429 answer is honoured. No new try starts once the next one
        could not begin within this many seconds of the first; the error then names the last cause and the number of
        tries.
      - Token exchanges are retried while the cache lock is held, so workers racing on a cold cache still make a
        single successful exchange.
      - A C(Retry-After) shorter than the backoff's wait for that try (at least a second) is not obeyed literally, so
        a server answering with a C(Retry-After) of 0 cannot cause a tight loop.
      - When a token exchange fails after its retries, the failure is remembered briefly in the cache, so that the
        other workers waiting for the same token fail at once with the same message instead of repeating the retries.
      - V(0) turns retries off. At most 3600.
      - Environment variable E(ONELOGIN_RETRY_TIMEOUT); C(retry_timeout) in the C([onelogin]) section of C(ansible.cfg).
    type: int
    default: 30
  cache:
    description:
      - Where the token is kept between uses.
      - V(run) keeps it for the current C(ansible-playbook) run only, in the run's private temporary directory, which
        ansible-core removes when the run ends. Every host, task and lookup of the run shares one token.
      - V(persistent) keeps it in O(cache_dir), so back-to-back and concurrent runs on this controller, by the same
        user, share one valid token until it gets down to O(min_ttl). The folder holds tokens, never the client
        secret.
      - V(none) keeps nothing - every task and every lookup evaluation makes its own token exchange. Use it only to
        debug. With O(token_api=v1) every exchange invalidates the token before it, so a play that uses the token
        on several hosts or in several tasks breaks itself.
      - Environment variable E(ONELOGIN_CACHE); C(cache) in the C([onelogin]) section of C(ansible.cfg).
    type: str
    choices: [run, persistent, none]
    default: run
  cache_dir:
    description:
      - The folder of the persistent cache, used only with O(cache=persistent).
      - Defaults to C(sso.onelogin/tokens) under E(XDG_CACHE_HOME), or under C(~/.cache) when that is not set.
      - A missing folder is created with mode 0700. An existing one must be a folder owned by the user running
        Ansible and must not be writable by group or others; otherwise the task fails before anything is sent.
        Token files in it have mode 0600.
      - Environment variable E(ONELOGIN_CACHE_DIR); C(cache_dir) in the C([onelogin]) section of C(ansible.cfg).
    type: path
"""

    # Extra sources for plugins (the lookup). Secrets get no ini entry on purpose.
    PLUGINS = r"""
options:
  client_id:
    env:
      - name: ONELOGIN_CLIENT_ID
    vars:
      - name: onelogin_client_id
    ini:
      - section: onelogin
        key: client_id
  client_secret:
    env:
      - name: ONELOGIN_CLIENT_SECRET
    vars:
      - name: onelogin_client_secret
  region:
    env:
      - name: ONELOGIN_REGION
    vars:
      - name: onelogin_region
    ini:
      - section: onelogin
        key: region
  subdomain:
    env:
      - name: ONELOGIN_SUBDOMAIN
    vars:
      - name: onelogin_subdomain
    ini:
      - section: onelogin
        key: subdomain
  api_url:
    env:
      - name: ONELOGIN_API_URL
    vars:
      - name: onelogin_api_url
    ini:
      - section: onelogin
        key: api_url
  token_api:
    env:
      - name: ONELOGIN_TOKEN_API
    vars:
      - name: onelogin_token_api
    ini:
      - section: onelogin
        key: token_api
  validate_certs:
    env:
      - name: ONELOGIN_VALIDATE_CERTS
    vars:
      - name: onelogin_validate_certs
    ini:
      - section: onelogin
        key: validate_certs
  timeout:
    env:
      - name: ONELOGIN_TIMEOUT
    vars:
      - name: onelogin_timeout
    ini:
      - section: onelogin
        key: timeout
  min_ttl:
    env:
      - name: ONELOGIN_MIN_TTL
    vars:
      - name: onelogin_min_ttl
    ini:
      - section: onelogin
        key: min_ttl
  retry_timeout:
    env:
      - name: ONELOGIN_RETRY_TIMEOUT
    vars:
      - name: onelogin_retry_timeout
    ini:
      - section: onelogin
        key: retry_timeout
  cache:
    env:
      - name: ONELOGIN_CACHE
    vars:
      - name: onelogin_cache
    ini:
      - section: onelogin
        key: cache
  cache_dir:
    env:
      - name: ONELOGIN_CACHE_DIR
    vars:
      - name: onelogin_cache_dir
    ini:
      - section: onelogin
        key: cache_dir
"""
