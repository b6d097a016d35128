#!/usr/bin/env bash
# Runs every test suite. Installs the real Kafka clients the compatibility tests drive when they are
# missing (Debian packages and npm), so it works on a fresh machine that has only the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

need_apt=()
command -v kcat >/dev/null || need_apt+=(kcat)
/usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null || need_apt+=(python3-confluent-kafka)
/usr/bin/python3 -c 'import kafka' 2>/dev/null || need_apt+=(python3-kafka)
# deploy/validate.sh parses the compose and Kubernetes YAML.
/usr/bin/python3 -c 'import yaml' 2>/dev/null || need_apt+=(python3-yaml)
[ -e /usr/include/librdkafka/rdkafka.h ] || need_apt+=(librdkafka-dev)
ldconfig -p | grep -q 'liblz4.so.1 ' || need_apt+=(liblz4-1)
ldconfig -p | grep -q 'libzstd.so.1 ' || need_apt+=(libzstd1)
# The codec interop tests compress and decompress with the command-line tools too.
command -v lz4 >/dev/null || need_apt+=(lz4)
command -v zstd >/dev/null || need_apt+=(zstd)
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v gcc >/dev/null || need_apt+=(gcc libc6-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -d tests/compat/node/node_modules/kafkajs ]; then
  (cd tests/compat/node && npm ci --no-audit --no-fund --loglevel=error)
fi

# Actor TestKit timeouts are tripled: CI shares 2 cores between the suite and the broker processes it starts.
export BROKER_TEST_TIMEFACTOR=${BROKER_TEST_TIMEFACTOR:-3}

if ! dotnet build AkkaBroker.sln -c Release -warnaserror > build.log 2>&1; then
  grep -E 'error|rror\(s\)' build.log | sort -u
  echo "0 passed, 1 failed"
  exit 1
fi
rm -f build.log

log=$(mktemp)
set +e
dotnet test AkkaBroker.sln -c Release --no-build -maxcpucount:1 --logger "console;verbosity=normal" 2>&1 | tee "$log" | grep -vE '^\s+Passed ' 
status=${PIPESTATUS[0]}
set -e
# awk alone: a grep that finds no "Failed:" line would end the script under pipefail.
passed=$(awk '$1 == "Passed:" {s += $2} END {print s + 0}' "$log")
failed=$(awk '$1 == "Failed:" {s += $2} END {print s + 0}' "$log")
rm -f "$log"
echo "$passed passed, $failed failed"
exit "$status"
