#!/usr/bin/env bash
# Regenerates tests/Broker.Protocol.Tests/Fixtures/: real clients (kcat/librdkafka, kafka-python,
# kafkajs) produce a known set of records to fake_broker.py, which records every request frame;
# the frames of interest are copied in as <client>/<api>-v<version>[-<variant>].bin and described
# in <client>/fixtures.json. The fixtures are committed; the test suite never runs this script.
# Needs kcat, /usr/bin/python3 with kafka-python, and `npm ci` done in tests/compat/node.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
tools="$root/tests/compat/tools"
fixtures="$root/tests/Broker.Protocol.Tests/Fixtures"
work=$(mktemp -d)
broker_pid=
cleanup() { [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

TOPIC=compat-fixtures
# Three keyed records with two headers each; the values repeat so every codec has something to do.
KEYS=(key-0 key-1 key-2)
value() { printf 'value-%s %s' "$1" "$(printf 'the quick brown fox jumps over the lazy dog %.0s' 1 2 3 4)"; }
HEADERS=(trace=abc123 app=compat)

start_broker() { # $1: capture directory
  rm -rf "$1"; mkdir -p "$1"
  /usr/bin/python3 "$tools/fake_broker.py" --out "$1" --port-file "$1/port" 2>"$1/broker.log" &
  broker_pid=$!
  for _ in $(seq 100); do [ -s "$1/port" ] && break; sleep 0.1; done
  port=$(cat "$1/port")
}
stop_broker() { kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true; broker_pid=; }

# pick DIR API [VARIANT] [TOPICS_FILTER]: copies the first frame of API (for metadata: the first
# naming $TOPIC) into the client's fixture folder and appends its frames.jsonl entry to the manifest.
pick() {
  local dir=$1 api=$2 variant=${3:-} client=$4 require_topic=${5:-yes}
  /usr/bin/python3 - "$dir" "$api" "$variant" "$fixtures/$client" "$TOPIC" "$require_topic" <<'PY'
import json, shutil, sys
d, api, variant, dest, topic, require_topic = sys.argv[1:]
entries = [json.loads(l) for l in open(f"{d}/frames.jsonl")]
def wanted(e):
    if e["api"] != api:
        return False
    if api == "metadata" and require_topic == "yes":
        return topic in (e.get("topics") or [])
    if api == "metadata" and require_topic == "no":
        return not e.get("topics")
    return True
e = next(e for e in entries if wanted(e))
name = f"{api}-v{e['version']}" + (f"-{variant}" if variant else "") + ".bin"
shutil.copy(f"{d}/{e['file']}", f"{dest}/{name}")
e["file"] = name
with open(f"{dest}/frames.jsonl", "a") as f:
    f.write(json.dumps(e) + "\n")
PY
}

records_json() { # the records every client sends, for the manifest
  local out="[" sep=""
  for k in "${KEYS[@]}"; do
    out+="$sep{\"key\":\"$k\",\"value\":\"$(value "${k#key-}")\",\"headers\":{\"trace\":\"abc123\",\"app\":\"compat\"}}"; sep=","
  done
  echo "$out]"
}

write_manifest() { # $1 client, $2 client version text
  /usr/bin/python3 - "$fixtures/$1" "$2" "$TOPIC" "$(records_json)" <<'PY'
import json, os, sys
dest, client_version, topic, records = sys.argv[1:]
frames = [json.loads(l) for l in open(f"{dest}/frames.jsonl")]
os.remove(f"{dest}/frames.jsonl")
manifest = {"client": client_version, "topic": topic, "records": json.loads(records), "frames": frames}
with open(f"{dest}/fixtures.json", "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
PY
}

input_lines() { for k in "${KEYS[@]}"; do printf '%s:%s\n' "$k" "$(value "${k#key-}")"; done; }

# --- kcat (librdkafka) ---------------------------------------------------------------------------
rm -rf "$fixtures/kcat"; mkdir -p "$fixtures/kcat"
for codec in none gzip snappy lz4 zstd; do
  start_broker "$work/kcat-$codec"
  input_lines | kcat -P -b "127.0.0.1:$port" -t "$TOPIC" -p 0 -K: -H "${HEADERS[0]}" -H "${HEADERS[1]}" \
    -z "$codec" -X linger.ms=200 -X acks=all -X request.timeout.ms=15000
  stop_broker
  if [ "$codec" = none ]; then
    pick "$work/kcat-$codec" apiversions "" kcat
    pick "$work/kcat-$codec" metadata "" kcat
  fi
  pick "$work/kcat-$codec" produce "$codec" kcat
done
start_broker "$work/kcat-idempotent"
input_lines | kcat -P -b "127.0.0.1:$port" -t "$TOPIC" -p 0 -K: -H "${HEADERS[0]}" -H "${HEADERS[1]}" \
  -X enable.idempotence=true -X linger.ms=200 -X request.timeout.ms=15000
stop_broker
pick "$work/kcat-idempotent" initproducerid "" kcat
pick "$work/kcat-idempotent" produce idempotent kcat
write_manifest kcat "kcat $(kcat -V 2>&1 | grep -oE 'Version [0-9.]+|librdkafka [0-9.]+' | paste -sd' ')"

# --- confluent-kafka-python (librdkafka underneath, its own client software name) -----------------
rm -rf "$fixtures/confluent-kafka"; mkdir -p "$fixtures/confluent-kafka"
for codec in none snappy; do
  start_broker "$work/ck-$codec"
  /usr/bin/python3 - "127.0.0.1:$port" "$TOPIC" "$codec" "$(records_json)" <<'PY'
import json, sys
from confluent_kafka import Producer
bootstrap, topic, codec, records = sys.argv[1:]
p = Producer({"bootstrap.servers": bootstrap, "client.id": "compat-confluent", "acks": "all",
              "linger.ms": 200, "request.timeout.ms": 15000, "compression.type": codec})
for r in json.loads(records):
    p.produce(topic, partition=0, key=r["key"].encode(), value=r["value"].encode(),
              headers=[(k, v.encode()) for k, v in r["headers"].items()])
if p.flush(15) != 0:
    sys.exit("records not delivered")
PY
  stop_broker
  if [ "$codec" = none ]; then
    pick "$work/ck-$codec" apiversions "" confluent-kafka
    pick "$work/ck-$codec" metadata "" confluent-kafka
  fi
  pick "$work/ck-$codec" produce "$codec" confluent-kafka
done
write_manifest confluent-kafka "confluent-kafka-python $(/usr/bin/python3 -c 'import confluent_kafka as c; print(c.version()[0], "librdkafka", c.libversion()[0])')"

# --- kafka-python ---------------------------------------------------------------------------------
rm -rf "$fixtures/kafka-python"; mkdir -p "$fixtures/kafka-python"
for codec in none gzip; do
  start_broker "$work/kp-$codec"
  /usr/bin/python3 - "127.0.0.1:$port" "$TOPIC" "$codec" "$(records_json)" <<'PY'
import json, sys
from kafka import KafkaProducer
bootstrap, topic, codec, records = sys.argv[1:]
p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=200, request_timeout_ms=15000,
                  compression_type=None if codec == "none" else codec)
futures = [p.send(topic, partition=0, key=r["key"].encode(), value=r["value"].encode(),
                  headers=[(k, v.encode()) for k, v in r["headers"].items()]) for r in json.loads(records)]
for f in futures:
    f.get(timeout=15)
p.close()
PY
  stop_broker
  if [ "$codec" = none ]; then
    pick "$work/kp-$codec" apiversions "" kafka-python
    pick "$work/kp-$codec" metadata "" kafka-python no   # the version probe's Metadata v0 (no topics)
    pick "$work/kp-$codec" metadata "" kafka-python
  fi
  pick "$work/kp-$codec" produce "$codec" kafka-python
done
write_manifest kafka-python "kafka-python $(/usr/bin/python3 -c 'import kafka; print(kafka.__version__)')"

# --- kafkajs --------------------------------------------------------------------------------------
rm -rf "$fixtures/kafkajs"; mkdir -p "$fixtures/kafkajs"
for codec in none gzip; do
  start_broker "$work/kj-$codec"
  KAFKAJS="$root/tests/compat/node/node_modules/kafkajs" KAFKAJS_NO_PARTITIONER_WARNING=1 node - "127.0.0.1:$port" "$TOPIC" "$codec" "$(records_json)" <<'JS'
const { Kafka, CompressionTypes, logLevel } = require(process.env.KAFKAJS || 'kafkajs');
const [bootstrap, topic, codec, records] = process.argv.slice(2);
(async () => {
  const kafka = new Kafka({ clientId: 'compat-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic, acks: -1, timeout: 15000,
    compression: codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    messages: JSON.parse(records).map(r => ({ partition: 0, key: r.key, value: r.value, headers: r.headers })),
  });
  await producer.disconnect();
})().catch(e => { console.error(e); process.exit(1); });
JS
  stop_broker
  if [ "$codec" = none ]; then
    pick "$work/kj-$codec" apiversions "" kafkajs
    pick "$work/kj-$codec" metadata "" kafkajs
  fi
  pick "$work/kj-$codec" produce "$codec" kafkajs
done
write_manifest kafkajs "kafkajs $(node -p "require('$root/tests/compat/node/node_modules/kafkajs/package.json').version")"
ls -R "$fixtures"
