#!/usr/bin/env bash
# Replication benchmark (not a test): three broker nodes in one process sharing node 1's controller
# (Broker.Benchmarks `cluster`), driven by the librdkafka load generator. In the same run: acks=1 to a
# topic of replication factor 1, acks=1 and acks=all to replication factor 3 (followers fetching).
#   tests/Broker.Benchmarks/EndToEnd/replication.sh [MSGS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
msgs=${1:-500000}
out=$(mktemp -d)
gcc -O2 -o "$out/loadgen" "$root/tests/Broker.Benchmarks/EndToEnd/loadgen.c" -lrdkafka
dotnet build "$root/tests/Broker.Benchmarks" -c Release -v q >/dev/null
mkfifo "$out/in"
dotnet "$root/tests/Broker.Benchmarks/bin/Release/net10.0/Broker.Benchmarks.dll" cluster 3 "$out/data" < "$out/in" > "$out/cluster.log" 2>&1 &
cluster=$!
exec 3>"$out/in" # holds the cluster's stdin open; closing it stops the nodes
trap 'exec 3>&-; wait $cluster 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 1 300); do grep -q '^ports' "$out/cluster.log" 2>/dev/null && break; sleep 0.1; done
read -r -a ports <<< "$(grep '^ports' "$out/cluster.log" | cut -d' ' -f2-)"
bootstrap="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"

field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/"; }
printf '| case | msg/s | p99 ms |\n|---|---|---|\n'
i=0
for size in 100 1000; do
  for parts in 1 6; do
    for c in "1 1" "3 1" "3 -1"; do
      set -- $c
      i=$((i + 1))
      r=$("$out/loadgen" produce -b "$bootstrap" -t "repl-$i" -p $parts -R $1 -n "$msgs" -s $size -a $2)
      printf '| produce %sB, %s partition(s), RF=%s acks=%s | %s | %s |\n' $size $parts $1 $2 \
        "$(echo "$r" | field msgs_per_sec)" "$(echo "$r" | field p99_ms)"
    done
  done
done
printf '\ncluster RSS (3 nodes, one process): %s\n' "$(grep VmRSS /proc/$cluster/status | awk '{print $2 " " $3}')"
