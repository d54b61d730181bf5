# The two commands of this project (see README.md):
#   make demo   start the bundled OneLogin emulator and run the example playbook across many hosts
#   make test   the whole test suite: unit and integration tests on every ansible-core leg of the
#               matrix, then the quality gates (sanity, lint, docs, changelog, artifact, molecule)
# Both create the Python environments they need on first use.
# make bench (the full benchmark, a long run: docs/performance.md) and make bench-smoke (its smallest size).

.PHONY: demo test unit integration sanity gates docs bench bench-smoke option-table clean-venvs

demo:
	@bash tests/utils/demo.sh

test:
	@bash tests/utils/run-tests.sh
	@bash tests/utils/gates.sh

unit:
	@bash tests/utils/run-tests.sh tests/unit

integration:
	@bash tests/utils/run-tests.sh tests/integration

sanity:
	@bash tests/utils/sanity.sh

# GATES picks some of: sanity lint docs changelog artifact molecule (default: all).
gates:
	@bash tests/utils/gates.sh $(GATES)

# HTML documentation in docs/docsite/build/build/html (antsibull-docs + Sphinx).
docs:
	@bash tests/utils/docs.sh

# BENCH_ARGS adds options to run.py, e.g. BENCH_ARGS="--resume" or BENCH_ARGS="--hosts 50 --forks 50".
bench:
	@bash tests/utils/bench.sh --sizes full --check $(BENCH_ARGS)

bench-smoke:
	@bash tests/utils/bench.sh --sizes smoke --pairs 1 --check $(BENCH_ARGS)

# plugins/plugin_utils/_option_table.py, after a change to the documentation of an option (the unit tests say when).
option-table:
	@"$$(bash tests/utils/venv.sh core-2.21)/bin/python" tests/utils/option_table.py

clean-venvs:
	rm -rf "$${SSO_ONELOGIN_VENVS:-$${XDG_CACHE_HOME:-$$HOME/.cache}/sso.onelogin/venvs}"
