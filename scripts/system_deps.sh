#!/usr/bin/env bash
# The Debian packages the test suite needs, in one place: `make test` and .ci/run both call this.
# Missing ones are installed when running as root; otherwise it stops and prints the command.
#
#   scripts/system_deps.sh                  the test suite's packages
#   scripts/system_deps.sh PACKAGE...       those and the named ones (.ci/run adds its servers)
#
# Python packages are not here: they come from requirements/*.txt (make lock).
set -euo pipefail

# Append here, with the reason; only missing ones are installed.
#   dovecot-imapd      a real IMAP server for the mailbox polling tests (tests/tickets/test_email_imap.py
#                      starts a private instance on a free port; needs /usr/sbin/dovecot and doveadm)
#   chromium           browser tests: Playwright drives /usr/bin/chromium, no browser is downloaded
#   fonts-dejavu-core  the statement PDF's font (Polish letters) and the browser's text
PACKAGES=(
    dovecot-imapd
    chromium
    fonts-dejavu-core
)
PACKAGES+=("$@")

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    echo "This is not a Debian-based system: install the equivalents of these packages first:" >&2
    echo "  ${PACKAGES[*]}" >&2
    exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
[ ${#missing[@]} = 0 ] && exit 0

command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
    echo "The tests need Debian packages that are not installed: ${missing[*]}" >&2
    echo "Install them (as root), then run make test again:" >&2
    echo "  sudo sh -c '$command'" >&2
    exit 1
fi

echo "Installing Debian packages the tests need: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
