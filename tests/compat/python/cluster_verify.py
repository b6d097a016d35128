#!/usr/bin/python3
"""Reads a whole topic back and checks it against a cluster_producer.py acknowledgement file.

usage: cluster_verify.py BOOTSTRAP TOPIC PARTITIONS ACKED_FILE
Checks: only the producer's records are there; every acknowledged record is in the log at the offset it was acknowledged with (none lost);
values increase within each partition (order kept); no value appears twice (no duplicates). Prints
one JSON line with counts and the first problems; exit code 1 when a check fails.
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition

bootstrap, topic, partitions, acked_path = sys.argv[1:5]
partitions = int(partitions)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "verify-unused", "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "enable.partition.eof": True})
ends = {}
for p in range(partitions):
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
    ends[p] = high
consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
log = {p: {} for p in range(partitions)}
order = {p: [] for p in range(partitions)}
foreign = []  # records this producer never wrote (e.g. ones a stale leader must not have kept)
done = {p for p in range(partitions) if ends[p] == 0}
deadline = time.time() + 120
while len(done) < partitions and time.time() < deadline:
    m = consumer.poll(1.0)
    if m is None:
        continue
    if m.error():
        if m.error().code() == -191:  # _PARTITION_EOF
            if m.offset() >= ends[m.partition()]:
                done.add(m.partition())
        continue
    value = m.value().decode(errors="replace")
    log[m.partition()][m.offset()] = value
    if value.isdigit():
        order[m.partition()].append(int(value))
    else:
        foreign.append(f"{m.partition()}/{m.offset()}")
    if m.offset() + 1 >= ends[m.partition()]:
        done.add(m.partition())
consumer.close()

problems = []
acked = 0
for line in open(acked_path):
    p, off, value = line.split()
    acked += 1
    got = log[int(p)].get(int(off))
    if got != value:
        problems.append(f"lost: acknowledged {value} at {p}/{off}, log has {got!r}")
if foreign:
    problems.append(f"foreign records at {foreign[:10]}")
seen = {}
for p in range(partitions):
    values = order[p]
    for a, b in zip(values, values[1:]):
        if b <= a:
            problems.append(f"order: partition {p} has {a} before {b}")
            break
    for v in values:
        if v in seen:
            problems.append(f"duplicate: {v} in partitions {seen[v]} and {p}")
        seen[v] = p
result = {"acked": acked, "read": sum(len(v) for v in order.values()), "ends": ends,
          "complete": len(done) == partitions, "problems": problems[:20], "problem_count": len(problems)}
print(json.dumps(result), flush=True)
sys.exit(0 if not problems and result["complete"] else 1)
