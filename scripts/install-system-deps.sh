#!/bin/sh
# Install the Debian packages the test suite needs, only when they are missing.
#
#   prometheus     /usr/bin/prometheus, /usr/bin/promtool  (real Prometheus tests)
#   chromium       /usr/bin/chromium                       (browser tests)
#   poppler-utils  /usr/bin/pdftotext                      (reads the printed PDF)
#
# Idempotent: when every tool is present it does nothing and exits 0. Needs root
# (as on CI) only when something must be installed; fails loudly otherwise.
set -eu

missing=""
need() { # need <package> <file>...
    package=$1
    shift
    for file in "$@"; do
        if [ ! -x "$file" ]; then
            case " $missing " in
            *" $package "*) ;;
            *) missing="$missing $package" ;;
            esac
        fi
    done
}

need prometheus /usr/bin/prometheus /usr/bin/promtool
need chromium /usr/bin/chromium
need poppler-utils /usr/bin/pdftotext

if [ -z "$missing" ]; then
    exit 0
fi

echo "install-system-deps: installing Debian packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-deps: error: must run as root to install:$missing" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: error: apt-get not found; install by hand:$missing" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # the package list is meant to split into words
apt-get install -y -qq --no-install-recommends $missing >/dev/null

for file in /usr/bin/prometheus /usr/bin/promtool /usr/bin/chromium /usr/bin/pdftotext; do
    if [ ! -x "$file" ]; then
        echo "install-system-deps: error: $file still missing after apt-get install" >&2
        exit 1
    fi
done
echo "install-system-deps: done" >&2
