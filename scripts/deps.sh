#!/usr/bin/env bash
# Installs everything runbook needs to build and test on Debian 12, as root.
# The README and .ci/run both call this one script, so the two never drift apart.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev valgrind \
  liblua5.4-dev lua5.4 libcurl4-openssl-dev libssl-dev libcjson-dev libinih-dev \
  libexpat1-dev libcmocka-dev python3 python3-botocore python3-jsonschema awscli ca-certificates lua-check
