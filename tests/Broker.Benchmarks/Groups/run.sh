#!/usr/bin/env bash
# Consumer-group scale benchmark (not a test): the Release broker process on a temp data dir, driven
# over real sockets by the benchmark driver (Broker.Benchmarks `groups` mode, NodeConnection, the
# generated request types), then the same driver against librdkafka's mock cluster as a same-machine
# reference. Each case gets a fresh server. Prints a Markdown table and notes.
#   tests/Broker.Benchmarks/Groups/run.sh                         # 1,000-member group and 10,000 groups
#   MEMBERS=200 GROUP_COUNT=1000 MOCK=0 tests/Broker.Benchmarks/Groups/run.sh [extra driver options]
#   BROKER_ROOT=/other/checkout LABEL=other ...   # a broker built elsewhere (dotnet build src/Broker.Host -c Release)
#   CASES=large ...                               # only the 1,000-member group (or: many)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
members=${MEMBERS:-1000}
groups=${GROUP_COUNT:-10000}
mock_groups=${MOCK_GROUP_COUNT:-1000}   # the mock holds every first join for 3 s: 10,000 groups would take minutes
# librdkafka 2.0.2's mock answered no JoinGroup of a 300- or 1,000-member group (connections reset after
# minutes); 100 members work.
mock_members=${MOCK_MEMBERS:-100}
broker_root=${BROKER_ROOT:-$root}
label=${LABEL:-akkabroker}
out=$(mktemp -d)
server=""
stop_server() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; fi
}
trap 'stop_server; rm -rf "$out"' EXIT

dotnet build "$root/tests/Broker.Benchmarks" -c Release -v q -nologo >/dev/null
driver=(dotnet "$root/tests/Broker.Benchmarks/bin/Release/net10.0/Broker.Benchmarks.dll" groups)

start_broker() {
  local port=$((20000 + RANDOM % 20000))
  rm -rf "$out/data"
  dotnet "$broker_root/src/Broker.Host/bin/Release/net10.0/akkabroker.dll" --config "$broker_root/hocon/single-node.conf" \
    --set log.dirs="$out/data" --set listeners=PLAINTEXT://127.0.0.1:$port > "$out/broker.log" 2>&1 &
  server=$!
  for _ in $(seq 1 200); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  bootstrap=127.0.0.1:$port
}

start_mock() {
  rm -f "$out/mock.fifo"; mkfifo "$out/mock.fifo"
  "$out/mockcluster" gbench-commits 8 < "$out/mock.fifo" > "$out/mock.out" 2> "$out/mock.err" &
  server=$!
  exec 7> "$out/mock.fifo"   # the mock serves until this pipe closes
  for _ in $(seq 1 100); do [ -s "$out/mock.out" ] && break; sleep 0.1; done
  bootstrap=$(head -1 "$out/mock.out")
}

run_case() { # label case extra-args...
  local label=$1 case=$2; shift 2
  "${driver[@]}" --bootstrap "$bootstrap" --broker-pid "$server" --label "$label" --case "$case" "$@" \
    >> "$out/results" 2>> "$out/progress" || echo "- $label: driver failed on case $case (see progress)" >> "$out/results"
}

for c in ${CASES:-large many}; do
  start_broker
  run_case "$label" $c --members "$members" --groups "$groups" "${@}"
  stop_server
done
if [ "${MOCK:-1}" = 1 ]; then
  gcc -O2 -o "$out/mockcluster" "$root/tests/Broker.Benchmarks/Groups/mockcluster.c" -lrdkafka
  for c in large many; do
    start_mock
    # The mock fails followers whose SyncGroup comes after the leader's: the leader waits 50 ms.
    # Its rebalance waits session.timeout.ms - 1 s for members: 30 s for the large group; the many groups
    # keep the long default so the first ones do not expire while the rest form.
    session=$([ $c = large ] && echo 30000 || echo 300000)
    run_case librdkafka-mock $c --members "$mock_members" --groups "$mock_groups" --leader-sync-delay-ms 50 --session-timeout-ms "$session" "${@}"
    exec 7>&-
    stop_server
  done
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GB RAM," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg), .NET $(dotnet --version), librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?')," \
  "driver commit $(git -C "$root" rev-parse --short HEAD)${BROKER_ROOT:+, broker from $BROKER_ROOT}"
echo
echo "| server | step | n | median ms | p99 ms | max ms | wall s | rate /s | server CPU % | server RSS MB start → peak | server CPU µs/op | driver CPU % |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
grep '^|' "$out/results" || true
echo
grep '^- ' "$out/results" || true
