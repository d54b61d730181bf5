#!/usr/bin/env bash
# Copy this checkout's files (tracked, plus untracked ones git does not ignore) into
# <ROOT>/ansible_collections/<namespace>/<name> and print that path. ansible-test needs a real
# ansible_collections tree (it resolves symlinks).   Usage: sync-collection.sh ROOT
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROOT=${1:?usage: sync-collection.sh ROOT}
NS=$(sed -n 's/^namespace: *//p' "$SRC/galaxy.yml" | tr -d "\"' ")
NAME=$(sed -n 's/^name: *//p' "$SRC/galaxy.yml" | tr -d "\"' ")
[ -n "$NS" ] && [ -n "$NAME" ] || { echo "sync-collection.sh: namespace/name not found in galaxy.yml" >&2; exit 1; }
DEST="$ROOT/ansible_collections/$NS/$NAME"
rm -rf "$DEST"
mkdir -p "$DEST"
cd "$SRC"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done \
  | tar --null -T - -cf - | tar -xf - -C "$DEST"
echo "$DEST"
