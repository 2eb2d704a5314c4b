#!/bin/sh
# pip for the image builds, run from Debian's pip wheel by the venv's python (docker/python/Dockerfile): it installs
# into /opt/venv, and the venv itself carries no pip.
exec /opt/venv/bin/python3 "$(ls /usr/share/python-wheels/pip-*.whl)/pip" "$@"
