# The two commands of this project (see README.md):
#   make demo   start the bundled OneLogin emulator and run the example playbook across many hosts
#   make test   run the whole test suite on every supported ansible-core leg
# Both create the Python environments they need on first use.
# make bench (the full benchmark, a long run: docs/performance.md) and make bench-smoke (its smallest size).

.PHONY: demo test unit integration sanity bench bench-smoke clean-venvs

demo:
	@bash tests/utils/demo.sh

test:
	@bash tests/utils/run-tests.sh

unit:
	@bash tests/utils/run-tests.sh tests/unit

integration:
	@bash tests/utils/run-tests.sh tests/integration

sanity:
	@bash tests/utils/sanity.sh

# BENCH_ARGS adds options to run.py, e.g. BENCH_ARGS="--resume" or BENCH_ARGS="--hosts 50 --forks 50".
bench:
	@bash tests/utils/bench.sh --sizes full --check $(BENCH_ARGS)

bench-smoke:
	@bash tests/utils/bench.sh --sizes smoke --pairs 1 --check $(BENCH_ARGS)

clean-venvs:
	rm -rf "$${SSO_ONELOGIN_VENVS:-$${XDG_CACHE_HOME:-$$HOME/.cache}/sso.onelogin/venvs}"
