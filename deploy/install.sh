#!/bin/sh
# The one way refbot is installed: by `make install` / `make system-deps` (developers and CI),
# by deploy/Containerfile (the image), and by hand on a server (docs/deploy.md).
#
#   deploy/install.sh debian PACKAGE...           install the Debian packages not yet installed
#   deploy/install.sh python VENV [EXTRAS] [--editable]
#                                                  install refbot into the virtualenv VENV (created
#                                                  with $PYTHON, default python3, when missing),
#                                                  every dependency at the version constraints.txt pins
#
# EXTRAS is a comma-separated list of pyproject extras ("test" for developers, "" for a server).
# Only pip is needed: constraints.txt is written by `make lock` (uv), but read by plain pip.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)

debian() {
    missing=""
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
    done
    [ -n "$missing" ] || return 0
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "installing Debian packages:$missing"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086  # the list is meant to split into words
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
}

python_package() {
    venv=$1
    extras=${2:-}
    editable=${3:-}
    [ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
    target="$here"
    [ -z "$extras" ] || target="$here[$extras]"
    if [ "$editable" = --editable ]; then
        "$venv/bin/python" -m pip install --quiet -c "$here/constraints.txt" -e "$target"
    else
        "$venv/bin/python" -m pip install --quiet -c "$here/constraints.txt" "$target"
    fi
}

case "${1:-}" in
    debian) shift; debian "$@" ;;
    python) shift; [ $# -ge 1 ] || { echo "usage: $0 python VENV [EXTRAS] [--editable]" >&2; exit 2; }
            python_package "$@" ;;
    *) echo "usage: $0 debian PACKAGE... | $0 python VENV [EXTRAS] [--editable]" >&2; exit 2 ;;
esac
