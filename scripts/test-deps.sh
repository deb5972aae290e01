#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine with only Go:
# PostgreSQL's server binaries (the tests start their own server on loopback)
# and Chromium (the web UI's browser tests drive it headless).
set -euo pipefail

have_pg() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "test-deps: need root (or sudo) to install: $*" >&2; exit 1
    fi
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_chromium() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1
}

missing=()
if ! have_pg; then
  echo "test-deps: installing PostgreSQL server binaries"
  missing+=(postgresql)
fi
if ! have_chromium; then
  echo "test-deps: installing Chromium"
  missing+=(chromium)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
fi
