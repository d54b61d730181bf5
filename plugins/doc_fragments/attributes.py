# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The attributes every module of the collection shares: action plugins that run on the controller only."""

from __future__ import annotations


class ModuleDocFragment:
    # Use it with ansible.builtin.action_common_attributes (and its .conn, .flow and .actiongroups
    # parts), which describe these attributes. Each module still states check_mode (and facts).
    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    details: The whole module is an action plugin that runs on the controller.
  action_group:
    membership:
      - sso.onelogin.onelogin
  async:
    support: none
  become:
    support: none
  bypass_host_loop:
    support: none
  connection:
    support: none
  delegation:
    support: none
    details: Everything happens on the controller; delegate_to changes nothing.
  diff_mode:
    support: none
  platform:
    platforms: all
"""
