#!/usr/bin/env bash
# Build the collection's HTML documentation (plugins, role, docs/docsite guides) with antsibull-docs
# and Sphinx, the way docs.ansible.com builds collection docs. Output: docs/docsite/build/build/html/.
# Usage: tests/utils/docs.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$(bash "$ROOT/tests/utils/venv.sh" docs)
BUILD="$ROOT/docs/docsite/build"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sso-onelogin-docs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/collections/ansible_collections/sso"
ln -s "$ROOT" "$WORK/collections/ansible_collections/sso/onelogin"
rm -rf "$BUILD"
mkdir -m 0755 "$BUILD"
export PATH="$VENV/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
antsibull-docs sphinx-init --use-current --squash-hierarchy --lenient --dest-dir "$BUILD" sso.onelogin
(cd "$BUILD" && ./build.sh)
echo "HTML documentation: $BUILD/build/html/index.html"
