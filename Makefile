# The two commands of this project (see README.md):
#   make demo   start the bundled OneLogin emulator and run the example playbook across many hosts
#   make test   run the whole test suite on every supported ansible-core leg
# Both create the Python environments they need on first use.

.PHONY: demo test unit integration sanity clean-venvs

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

clean-venvs:
	rm -rf "$${SSO_ONELOGIN_VENVS:-$${XDG_CACHE_HOME:-$$HOME/.cache}/sso.onelogin/venvs}"
