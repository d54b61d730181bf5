#!/usr/bin/env bash
# ansible-test sanity on the newest ansible-core leg, on a copy of the collection in an
# ansible_collections tree (ansible-test needs one), without network access to ansible's CI
# files: an offline stand-in for its pip bootstrap script is installed first.
# Usage: tests/utils/sanity.sh [ansible-test sanity args...]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LEG=${SSO_ONELOGIN_SANITY_LEG:-core-2.21}
VENV=$(bash "$ROOT/tests/utils/venv.sh" "$LEG")
PYVER=$(sed -n 's/^# python: *\([0-9.]*\).*/\1/p' "$ROOT/tests/requirements/$LEG.txt" | head -n 1)
PIPV=$("$VENV/bin/python" - <<'PY'
import pathlib, re, ansible_test
text = (pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py').read_text()
print(re.search(r"pip='([0-9.]+)'", text).group(1).replace('.', '_'))
PY
)
mkdir -p "$HOME/.ansible/test/cache"
cp "$ROOT/tests/utils/get_pip_shim.py" "$HOME/.ansible/test/cache/get_pip_${PIPV}.py"
WORK=${SSO_ONELOGIN_SANITY_DIR:-${TMPDIR:-/tmp}/sso-onelogin-sanity}
DEST=$(bash "$ROOT/tests/utils/sync-collection.sh" "$WORK")
cd "$DEST"
PATH="$VENV/bin:$PATH" ansible-test sanity --venv --python "$PYVER" "$@" 2>&1 | grep -v '^WARNING: Location'
exit "${PIPESTATUS[0]}"
