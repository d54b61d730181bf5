"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test runs this inside a venv created without pip, with arguments such as
``pip==25.2 --no-setuptools --no-wheel``. ensurepip provides a pip, which then installs the
requested version from the package index.
"""

import subprocess
import sys

ARGS = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q'] + ARGS)
