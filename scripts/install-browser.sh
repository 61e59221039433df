#!/usr/bin/env sh
# Debian's Chromium for the browser tests. Without it they run on the headless shell inside the
# @sparticuz/chromium npm package, which has everything the tests need but Background Sync (the rider's
# service worker sending a queued report with the app closed): that one test then says it is skipped.
# Needs root (or sudo).
set -eu
if [ -x /usr/bin/chromium ]; then
  echo "chromium is installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
  { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends chromium >/dev/null; }
echo "installed chromium"
