#!/bin/sh
# Makes sure the system commands the tests need exist, installing the Debian packages that provide them.
# Usage: scripts/ensure-system-packages.sh <package>[:<command>] ...
#   Without a colon the command is the package's name (chromium, redis-server); a package whose command is named
#   otherwise, or a command looked for at a given path, says so after the colon (redis-tools:redis-cli,
#   chromium:/usr/bin/chromium).
# As root on Debian (CI, a fresh container) the missing packages are installed with apt-get, so `npm test` alone sets
# a machine up; anywhere else this stops, naming the packages to install.
set -eu

missing_packages() {
  missing=""
  for spec in "$@"; do
    package="${spec%%:*}"
    command="${spec#*:}"
    if ! command -v "$command" >/dev/null 2>&1; then
      case " $missing " in
        *" $package "*) ;;
        *) missing="$missing $package" ;;
      esac
    fi
  done
  echo "$missing"
}

missing="$(missing_packages "$@")"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-packages: installing$missing" >&2
  apt-get update
  # shellcheck disable=SC2086 # one word per package, on purpose
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
  still="$(missing_packages "$@")"
  [ -z "$still" ] && exit 0
  echo "ensure-system-packages: installed$missing, but the command of$still is still missing" >&2
  exit 1
fi

echo "ensure-system-packages: missing system package(s):$missing" >&2
echo "install them with your package manager (Debian/Ubuntu: sudo apt-get install$missing) and run the command again" >&2
exit 1
