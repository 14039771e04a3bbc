#!/usr/bin/env bash
# Prints the path of a Python 3.13 interpreter for the Makefile: pyenv's newest installed 3.13.x, else
# the first python3.13 on PATH that runs and is 3.13 (a pyenv shim for a version not selected does not
# run). Prints nothing and exits 1 when there is none: the Makefile says what to install.
set -u

is_313() {
    [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1
}

# pyenv's versions, newest first (version order: 3.13.10 after 3.13.9).
for version in $(ls -1 "${PYENV_ROOT:-$HOME/.pyenv}/versions" 2>/dev/null | grep -E '^3\.13\.[0-9]+$' | sort -t. -k3,3nr); do
    candidate="${PYENV_ROOT:-$HOME/.pyenv}/versions/$version/bin/python3.13"
    if is_313 "$candidate"; then
        echo "$candidate"
        exit 0
    fi
done

IFS=:
for directory in $PATH; do
    if is_313 "$directory/python3.13"; then
        echo "$directory/python3.13"
        exit 0
    fi
done
exit 1
