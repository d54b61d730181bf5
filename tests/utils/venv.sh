#!/usr/bin/env bash
# Make sure the virtual environment of one test leg exists; print its path.
# Usage: tests/utils/venv.sh LEG   (LEG names tests/requirements/LEG.txt, e.g. core-2.21)
# The Python version comes from the "# python: X.Y" line of that file. Environments are cached
# under ${SSO_ONELOGIN_VENVS:-~/.cache/sso.onelogin/venvs}, keyed on the requirements file, so
# only the first run pays for the download.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LEG=${1:?usage: venv.sh LEG}
REQ="$ROOT/tests/requirements/$LEG.txt"
[ -f "$REQ" ] || { echo "venv.sh: no requirements file $REQ" >&2; exit 2; }
PYVER=$(sed -n 's/^# python: *\([0-9.]*\).*/\1/p' "$REQ" | head -n 1)
[ -n "$PYVER" ] || { echo "venv.sh: $REQ has no '# python: X.Y' line" >&2; exit 2; }

find_python() {
  local candidate root
  root=$(pyenv root 2>/dev/null || true)
  [ -n "$root" ] || root="$HOME/.pyenv"
  for candidate in $(ls -d "$root"/versions/"$PYVER".*/bin/python"$PYVER" 2>/dev/null | sort -V -r) \
                   "$(command -v "python$PYVER" 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && "$candidate" -c 'import venv' >/dev/null 2>&1; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

PYTHON=$(find_python) || {
  echo "venv.sh: Python $PYVER is needed for the $LEG leg and was not found." >&2
  echo "Install it (for example: pyenv install $PYVER) and run again." >&2
  exit 2
}
KEY=$( (cat "$REQ"; "$PYTHON" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-12)
BASE=${SSO_ONELOGIN_VENVS:-${XDG_CACHE_HOME:-$HOME/.cache}/sso.onelogin/venvs}
VENV="$BASE/$LEG-$KEY"
mkdir -p "$BASE"
(
  flock 9
  if [ ! -f "$VENV/.complete" ]; then
    echo "Creating the $LEG environment (Python $PYVER) in $VENV ..." >&2
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    for args in "-U pip" "-r $REQ"; do
      # shellcheck disable=SC2086
      "$VENV/bin/python" -m pip install -q --disable-pip-version-check $args > "$VENV/.pip.log" 2>&1 \
        || { grep -v "^WARNING: Location" "$VENV/.pip.log" >&2; echo "venv.sh: pip install $args failed" >&2; exit 1; }
    done
    "$VENV/bin/python" -c "import ansible" || { echo "venv.sh: installing $REQ failed" >&2; exit 1; }
    touch "$VENV/.complete"
  fi
) 9>"$BASE/.$LEG.lock"
echo "$VENV"
