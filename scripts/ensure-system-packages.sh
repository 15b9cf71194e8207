#!/bin/sh
# Makes sure the system commands the tests need exist, installing the Debian packages that provide them.
# Usage: scripts/ensure-system-packages.sh <package>[:<command>] ...
#   A package whose command has another name says so after a colon (e.g. redis-server:redis-server).
#   Without a colon the command is the package name.
# A fresh Debian machine (CI, a new container) is set up by `npm test` alone; elsewhere this stops with the package to install.
set -eu

missing=""
for spec in "$@"; do
  package="${spec%%:*}"
  command="${spec#*:}"
  if ! command -v "$command" >/dev/null 2>&1; then
    missing="$missing $package"
  fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-packages: installing$missing" >&2
  apt-get update
  # shellcheck disable=SC2086 # one word per package, on purpose
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
  exit 0
fi

echo "ensure-system-packages: missing system package(s):$missing" >&2
echo "install them with your package manager (Debian/Ubuntu: sudo apt-get install$missing) and run the command again" >&2
exit 1
