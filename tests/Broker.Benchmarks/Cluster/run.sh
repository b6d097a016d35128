#!/usr/bin/env bash
# Cluster benchmark (not a test): on this machine, with deploy/cluster.sh,
#   1. acks=all, replication factor 3, min.insync.replicas=2 on a 3-node cluster, as a ratio of
#      acks=1 on a single node, both measured in this run with the librdkafka load generator;
#   2. failover time (partition leader killed -9 until produce succeeds again), median and max over
#      RUNS kills, with the default timeouts.
#   tests/Broker.Benchmarks/Cluster/run.sh [MSGS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
msgs=${1:-300000}
runs=${2:-10}
out=$(mktemp -d)
cluster="$root/deploy/cluster.sh"
trap '"$cluster" stop --data "$out/single" >/dev/null 2>&1 || true; "$cluster" stop --data "$out/three" >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
gcc -O2 -o "$out/loadgen" "$root/tests/Broker.Benchmarks/EndToEnd/loadgen.c" -lrdkafka
[ "${NO_BUILD:-0}" = 1 ] || dotnet build "$root/src/Broker.Host" -c Release -v q >/dev/null
field() { sed -E "s/.*\"$1\": ?([0-9.]+).*/\1/"; }
py() { PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 "$@"; }
create() { py "$root/tests/compat/python/confluent_client.py" --bootstrap "$1" create-topic --topic "$2" --partitions "$3" --replication-factor "$4" --config "min.insync.replicas=$5" >/dev/null; }

base1=$((20000 + (RANDOM % 400) * 10)); base3=$((base1 + 5000))
"$cluster" start 1 --data "$out/single" --base-port $base1 --no-build >/dev/null
create 127.0.0.1:$base1 bench 6 1 1
single_json=$("$out/loadgen" produce -b 127.0.0.1:$base1 -t bench -p 6 -n "$msgs" -s 100 -a 1)
echo "single node: $single_json" >&2
single=$(echo "$single_json" | field msgs_per_sec)
"$cluster" stop --data "$out/single" >/dev/null

"$cluster" start 3 --data "$out/three" --base-port $base3 --no-build >/dev/null
boot="127.0.0.1:$base3,127.0.0.1:$((base3 + 10)),127.0.0.1:$((base3 + 20))"
create "$boot" bench 6 3 2
three_json=$("$out/loadgen" produce -b "$boot" -t bench -p 6 -n "$msgs" -s 100 -a -1)
echo "3 nodes: $three_json" >&2
three=$(echo "$three_json" | field msgs_per_sec)
printf '| case | msg/s (100 B, 6 partitions) |\n|---|---|\n'
printf '| single node, acks=1 | %s |\n| 3 nodes, RF=3, min.insync.replicas=2, acks=all | %s |\n' "$single" "$three"
printf '| ratio | %.2f |\n\n' "$(echo "$three / $single" | bc -l)"

urls="http://127.0.0.1:$((base3 + 2)),http://127.0.0.1:$((base3 + 12)),http://127.0.0.1:$((base3 + 22))"
py "$(dirname "$0")/failover_probe.py" "$cluster" "$out/three" "$boot" failover "$urls" "$runs" | tee "$out/failover.jsonl" >&2
summary=$(tail -1 "$out/failover.jsonl")
printf '| failover (leader kill -9 until produce succeeds), %s runs | median %s s | max %s s | min %s s |\n' "$runs" \
  "$(echo "$summary" | field median_s)" "$(echo "$summary" | field max_s)" "$(echo "$summary" | field min_s)"
