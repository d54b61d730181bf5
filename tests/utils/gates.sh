#!/usr/bin/env bash
# The quality gates of `make test`, after the unit and integration legs:
#   sanity     ansible-test sanity (no ignore file) on the newest ansible-core and on 2.16
#   lint       ansible-lint, production profile (roles, playbooks, molecule scenario)
#   docs       antsibull-docs lint of the plugin docs and docs/docsite, then a render of the whole docsite
#   changelog  antsibull-changelog lint of the fragments and changelogs/changelog.yaml
#   artifact   ansible-galaxy collection build, install of the tarball into an empty path, the demo
#              playbook run from the installed copy, ansible-builder reading its Python requirements
#   molecule   molecule test of the sso.onelogin.connect role (extensions/molecule/default)
# Usage: tests/utils/gates.sh [GATE ...]   (default: all, in the order above; every gate runs, the exit
# status is 1 if any failed). Environments come from tests/utils/venv.sh, like the test legs.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
GATES=${*:-sanity lint docs changelog artifact molecule}
TOOLS=$(bash tests/utils/venv.sh tools) || exit 1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sso-onelogin-gates.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The checkout as Ansible finds a collection (<path>/ansible_collections/sso/onelogin), for the tools.
mkdir -p "$WORK/collections/ansible_collections/sso"
ln -s "$ROOT" "$WORK/collections/ansible_collections/sso/onelogin"

with_tools() {
  PATH="$TOOLS/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$WORK/collections" ANSIBLE_NOCOLOR=1 "$@"
}

gate_sanity() {
  bash tests/utils/sanity.sh || return 1
  SSO_ONELOGIN_SANITY_LEG=core-2.16 SSO_ONELOGIN_SANITY_DIR="${TMPDIR:-/tmp}/sso-onelogin-sanity-2.16" \
    bash tests/utils/sanity.sh
}

gate_lint() {
  with_tools ansible-lint --offline
}

gate_docs() {
  with_tools antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs . || return 1
  mkdir -p "$WORK/docsite"
  with_tools antsibull-docs collection --use-current --dest-dir "$WORK/docsite" sso.onelogin >"$WORK/render.log" 2>&1 \
    || { cat "$WORK/render.log"; return 1; }
  local missing=0 page
  for page in onelogin_token_module.rst onelogin_token_lookup.rst onelogin_rate_limit_info_module.rst \
              onelogin_api_module.rst onelogin_api_lookup.rst connect_role.rst; do
    [ -s "$WORK/docsite/collections/sso/onelogin/$page" ] || { echo "docs: $page was not rendered"; missing=1; }
  done
  return "$missing"
}

gate_changelog() {
  with_tools antsibull-changelog lint || return 1
  with_tools antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
}

gate_artifact() {
  with_tools ansible-galaxy collection build --output-path "$WORK/dist" . || return 1
  local tarball
  tarball=$(ls "$WORK"/dist/sso-onelogin-*.tar.gz) || return 1
  # Into an empty path, with only that path configured (the checkout's own tree would count as installed).
  PATH="$TOOLS/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$WORK/installed" \
    ansible-galaxy collection install --offline -p "$WORK/installed" "$tarball" || return 1
  "$TOOLS/bin/python" - "$WORK/installed/ansible_collections/sso/onelogin" <<'PY' || return 1
import json, os, sys
root = sys.argv[1]
files = {entry['name'] for entry in json.load(open(os.path.join(root, 'FILES.json')))['files']}
needed = ['plugins/action/onelogin_token.py', 'plugins/lookup/onelogin_token.py', 'plugins/modules/onelogin_token.py',
          'plugins/plugin_utils/_options.py', 'plugins/plugin_utils/_settings.py',
          'plugins/plugin_utils/_definitions.py', 'plugins/plugin_utils/_option_table.py',
          'plugins/doc_fragments/connection.py', 'meta/runtime.yml',
          'meta/execution-environment.yml', 'requirements.txt', 'roles/connect/meta/argument_specs.yml',
          'roles/connect/tasks/main.yml', 'playbooks/demo.yml', 'docs/docsite/extra-docs.yml',
          'changelogs/changelog.yaml', 'README.md', 'LICENSE', 'tests/emulator/onelogin_emulator.py']
unwanted = ('tests/output', 'benchmarks/', 'docs/images/', 'dist/', '.ansible/', 'collections/', '.pytest_cache',
            '.git/')
missing = [name for name in needed if name not in files]
extra = sorted(name for name in files if name.startswith(unwanted) or '__pycache__' in name)
for name in missing:
    print('artifact: %s is missing from the built collection' % name)
for name in extra:
    print('artifact: %s should not be in the built collection' % name)
sys.exit(1 if missing or extra else 0)
PY
  # The demo, run from the installed copy only: a file missing from the artifact fails it.
  local log="$WORK/demo.log"
  SSO_ONELOGIN_COLLECTIONS_PATH="$WORK/installed" DEMO_HOSTS=6 DEMO_FORKS=6 bash tests/utils/demo.sh >"$log" 2>&1
  local status=$?
  if [ "$status" -ne 0 ] || ! grep -q '^token exchanges that reached OneLogin: 1$' "$log" \
      || ! grep -q '^hosts served (API calls answered 200): 6$' "$log"; then
    echo "artifact: the demo from the installed collection did not serve 6 hosts with 1 exchange:"; cat "$log"; return 1
  fi
  grep -E '^(hosts served|token exchanges)' "$log"
  # ansible-builder finds the Python requirements through meta/execution-environment.yml.
  with_tools ansible-builder introspect "$WORK/installed" > "$WORK/introspect.txt" 2>&1 || { cat "$WORK/introspect.txt"; return 1; }
  grep -E 'requests.*# from collection sso\.onelogin' "$WORK/introspect.txt" \
    || { echo "artifact: ansible-builder did not find requests:"; cat "$WORK/introspect.txt"; return 1; }
}

gate_molecule() {
  with_tools molecule test
}

failed=()
for gate in $GATES; do
  if ! declare -F "gate_$gate" >/dev/null; then echo "gates.sh: unknown gate $gate" >&2; exit 2; fi
  echo "=== gate: $gate"
  start=$SECONDS
  if "gate_$gate"; then
    echo "=== gate $gate passed ($((SECONDS - start)) s)"
  else
    echo "=== gate $gate FAILED ($((SECONDS - start)) s)"
    failed+=("$gate")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED gates: ${failed[*]}"
  exit 1
fi
echo "All gates passed: $GATES"
