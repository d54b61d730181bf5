"""Unit tests of the error type: messages keep their values apart, and only the values are scrubbed."""

from __future__ import annotations

import ast
import os


from ansible_collections.sso.onelogin.plugins.plugin_utils import _errors


def test_every_error_message_is_fixed_text_with_its_values_apart():
    """A message built with % before it reaches OneLoginError would be neither scrubbed nor safe to scrub."""
    plugins = os.path.join(os.path.dirname(os.path.abspath(_errors.__file__)), '..')
    checked = 0
    for folder, dummy, files in os.walk(plugins):
        for name in files:
            if not name.endswith('.py') or name == '_errors.py':  # _errors.py is the implementation
                continue
            path = os.path.join(folder, name)
            with open(path, encoding='utf-8') as handle:
                tree = ast.parse(handle.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, 'id', getattr(node.func, 'attr', None)) in (
                        'OneLoginError', 'extended'):
                    first = node.args[0] if node.args else None
                    # A literal, or the name of a fixed text of the module; never text built with %, format,
                    # an f-string or +, which would carry values into the unscrubbed fixed text.
                    fixed = (isinstance(first, ast.Constant) and isinstance(first.value, str)) or isinstance(
                        first, (ast.Name, ast.Attribute))
                    assert fixed, '%s:%d builds its message before OneLoginError' % (path, node.lineno)
                    checked += 1
    assert checked > 30


def test_only_the_values_are_scrubbed():
    error = _errors.OneLoginError('No %s here, and a password: %r.', 'password', 'x password y').hide(['password'])
    assert str(error) == "No ******** here, and a password: 'x ******** y'."
