# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: mint_once
short_description: The least a lookup that hands out one token per run can do
version_added: 1.0.0
description:
  - The job's floor in the cold-lookup benchmark of sso.onelogin (benchmarks/cold_lookup.py).
  - Under an exclusive lock on a file, the first call of a run imports requests and makes one v2 token exchange
    with the credentials of the ONELOGIN_* environment variables; every later call reads the token file.
  - The file is in the run's temp folder, or in ONELOGIN_CACHE_DIR when ONELOGIN_CACHE is persistent.
  - No option, no check, no error handling worth the name - a benchmark floor only, never for real use.
author:
  - sso.onelogin maintainers (@sso-onelogin)
"""

RETURN = r"""
_raw:
  description: A one-element list with the access token.
  type: list
  elements: str
"""

import fcntl
import os

from ansible import constants as C
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if os.environ.get('ONELOGIN_CACHE') == 'persistent':
            folder = os.environ['ONELOGIN_CACHE_DIR']
        else:
            folder = C.DEFAULT_LOCAL_TMP
        os.makedirs(folder, mode=0o700, exist_ok=True)
        path = os.path.join(folder, 'bench-mint-once.token')
        with open(path + '.lock', 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.exists(path):
                import requests
                answer = requests.post(os.environ['ONELOGIN_API_URL'] + '/auth/oauth2/v2/token',
                                       auth=(os.environ['ONELOGIN_CLIENT_ID'], os.environ['ONELOGIN_CLIENT_SECRET']),
                                       json={'grant_type': 'client_credentials'}, timeout=10)
                answer.raise_for_status()
                with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as token_file:
                    token_file.write(answer.json()['access_token'])  # even an emulator's token: 0600
            with open(path) as token_file:
                return [token_file.read()]
