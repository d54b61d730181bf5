# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The request options shared by the sso.onelogin.onelogin_api module and lookup, documented once."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  query:
    description:
      - Query parameters, such as filters (C(email=ada@example.com)). A list value sends the parameter once per
        item. Booleans are sent as C(true) and C(false).
      - Kept on every page of a list. For a v2 list (C(/api/2/...)), C(limit), C(page), C(sort) and
        C(sort_direction) are sent on the first request only, because OneLogin refuses them beside a cursor; a v1
        list (C(/api/1/...)) gets the whole query again with each C(after_cursor).
    type: dict
  paginate:
    description:
      - For a GET, follow OneLogin's pagination to the end and return every item of every page, in order - the
        C(After-Cursor) header of v2 lists (C(/api/2/...)), or the C(pagination.after_cursor) of v1's envelope
        (C(/api/1/...), whose items are in C(data)).
      - All or nothing - a page that keeps failing, a repeated cursor or more than O(max_pages) pages fail the whole
        request; a partial list is never returned.
      - An answer that is not a list (one object, or a list without pagination, such as C(/api/2/brands)) is
        returned as it is.
      - V(false) returns the first page only, as OneLogin sent it.
    type: bool
    default: true
  page_size:
    description:
      - Items per page, sent as C(limit) on the first request (later pages of a v2 list follow the cursor, which
        carries it).
        OneLogin's own default applies when it is not set (50 for C(/api/2/users)).
      - A whole number from 1 to 1000. Give the page size here or as C(limit) in O(query), not both.
    type: int
  max_pages:
    description:
      - The most pages a list may have. A longer list fails the request rather than return a truncated list.
      - A whole number from 1 to 100000.
    type: int
    default: 1000
"""
