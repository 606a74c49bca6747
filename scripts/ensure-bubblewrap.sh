#!/usr/bin/env bash
# The --sandbox tests run commands in Debian's bubblewrap; they fail (never skip) without it.
set -euo pipefail
if command -v bwrap >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's bubblewrap for the sandbox tests…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
else
  echo "The sandbox tests need bubblewrap: run 'sudo apt-get install -y bubblewrap'." >&2
  exit 1
fi
