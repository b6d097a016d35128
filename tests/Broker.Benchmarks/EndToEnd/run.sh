#!/usr/bin/env bash
# End-to-end benchmark (not a test): the Release broker driven by a librdkafka load generator, and the
# same generator against librdkafka's in-memory mock cluster in the same run, reported as ratios.
#   tests/Broker.Benchmarks/EndToEnd/run.sh [MSGS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
msgs=${1:-1000000}
out=$(mktemp -d)
gcc -O2 -o "$out/loadgen" "$root/tests/Broker.Benchmarks/EndToEnd/loadgen.c" -lrdkafka
dotnet build "$root/src/Broker.Host" -c Release -v q >/dev/null
port=$((20000 + RANDOM % 20000))
dotnet "$root/src/Broker.Host/bin/Release/net10.0/akkabroker.dll" --config "$root/hocon/single-node.conf" \
  --set log.dirs="$out/data" --set listeners=PLAINTEXT://127.0.0.1:$port > "$out/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/"; }
printf '| case | broker msg/s | mock msg/s | ratio | broker p99 ms |\n|---|---|---|---|---|\n'
i=0
for size in 100 1000; do
  for parts in 1 6; do
    for acks in 1 -1; do
      i=$((i + 1))
      topic="bench-$i"
      b=$("$out/loadgen" produce -b 127.0.0.1:$port -t "$topic" -p $parts -n "$msgs" -s $size -a $acks)
      m=$("$out/loadgen" produce -m -t "$topic" -p $parts -n "$msgs" -s $size -a $acks 2>/dev/null)
      bm=$(echo "$b" | field msgs_per_sec); mm=$(echo "$m" | field msgs_per_sec)
      printf '| produce %sB, %s partition(s), acks=%s | %s | %s | %.2f | %s |\n' $size $parts $acks "$bm" "$mm" \
        "$(echo "$bm / $mm" | bc -l)" "$(echo "$b" | field p99_ms)"
      if [ $acks = 1 ]; then
        c=$("$out/loadgen" consume -b 127.0.0.1:$port -t "$topic" -p $parts -n "$msgs" -s $size)
        printf '| consume %sB, %s partition(s) (warm log) | %s | | | |\n' $size $parts "$(echo "$c" | field msgs_per_sec)"
      fi
    done
  done
done
# Latency at half of the maximum rate measured for 100-byte records on one partition.
max=$("$out/loadgen" produce -b 127.0.0.1:$port -t bench-half -p 1 -n "$msgs" -s 100 -a 1 | field msgs_per_sec)
half=$(printf '%.0f' "$(echo "$max / 2" | bc -l)")
l=$("$out/loadgen" produce -b 127.0.0.1:$port -t bench-half -p 1 -n $((half * 5)) -s 100 -a 1 -r "$half")
printf '| produce p99 at half load (%s msg/s) | | | | %s |\n' "$half" "$(echo "$l" | field p99_ms)"
printf '\nbroker RSS: %s\n' "$(grep VmRSS /proc/$broker/status | awk '{print $2 " " $3}')"
