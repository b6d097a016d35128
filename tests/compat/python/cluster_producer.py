#!/usr/bin/python3
"""An idempotent acks=all confluent-kafka producer that streams until told to stop (cluster tests).

usage: cluster_producer.py BOOTSTRAP TOPIC PARTITIONS ACKED_FILE STOP_FILE [RATE]
Record n (0, 1, 2, ...) has value "n" and goes to partition n % PARTITIONS, so within a partition
the values must come back in increasing order. Every acknowledged record is appended to ACKED_FILE
as "partition offset value" the moment its delivery report arrives (so the test can watch progress);
failed deliveries are counted, not written. Once STOP_FILE exists, the producer stops producing,
flushes (up to 120 s) and prints one JSON line: produced, acked, failed, first errors.
"""
import json
import os
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, partitions, acked_path, stop_path = sys.argv[1:6]
partitions = int(partitions)
rate = int(sys.argv[6]) if len(sys.argv) > 6 else 500
producer = Producer({
    "bootstrap.servers": bootstrap,
    "acks": "all",
    "enable.idempotence": True,
    "linger.ms": 5,
    # Keep retrying through failovers: a record fails only if the cluster stays down this long.
    "message.timeout.ms": 120000,
    "request.timeout.ms": 10000,
    "retry.backoff.ms": 100,
    "topic.metadata.refresh.interval.ms": 1000,
    # librdkafka's own account of leader changes, connections and idempotence state, on stderr (the tests
    # print its tail when deliveries fail).
    "debug": os.environ.get("CLUSTER_PRODUCER_DEBUG", "eos,topic,broker"),
})
acked_file = open(acked_path, "a", buffering=1)
stats = {"produced": 0, "acked": 0, "failed": 0, "errors": [], "failed_per_partition": {}}


def report(err, msg):
    if err is not None:
        stats["failed"] += 1
        per = stats["failed_per_partition"]
        per[str(msg.partition())] = per.get(str(msg.partition()), 0) + 1
        if len(stats["errors"]) < 10:
            stats["errors"].append(f"{time.strftime('%H:%M:%S')} p{msg.partition()} value {msg.value().decode()}: {err}")
    else:
        stats["acked"] += 1
        acked_file.write(f"{msg.partition()} {msg.offset()} {msg.value().decode()}\n")


n = 0
start = time.time()
while not os.path.exists(stop_path):
    due = start + n / rate
    while time.time() < due:
        producer.poll(min(0.01, max(0.0, due - time.time())))
    try:
        producer.produce(topic, value=str(n).encode(), partition=n % partitions, on_delivery=report)
        n += 1
    except BufferError:
        producer.poll(0.1)
    producer.poll(0)
stats["produced"] = n
stats["unflushed"] = producer.flush(120)
acked_file.close()
print(json.dumps(stats), flush=True)
