"""Helpers of the integration tests for what they pass to, and read from, a real ansible-playbook run."""

from __future__ import annotations

import json


def write_extra_vars(tmp_path, **values):
    """``@file`` for ``-e``: the values in a JSON file, since ansible-playbook -vvvv echoes its command line."""
    path = tmp_path / 'extra_vars.json'
    path.write_text(json.dumps(values))
    return '@%s' % path


def assert_ok(run):
    """The run succeeded; else fail with the end of what it printed."""
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-4000:]
