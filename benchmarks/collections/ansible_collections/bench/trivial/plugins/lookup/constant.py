# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
name: constant
short_description: A constant string, as long as an access token
version_added: 1.0.0
description:
  - The floor of the cold-lookup benchmark of sso.onelogin (benchmarks/cold_lookup.py).
author:
  - sso.onelogin maintainers (@sso-onelogin)
"""

RETURN = r"""
_raw:
  description: A one-element list with a 64-character string.
  type: list
  elements: str
"""

from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        return ['0123456789abcdef' * 4]
