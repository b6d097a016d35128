#!/usr/bin/python3
"""Failover time of a local cluster (benchmark helper, not a test).

usage: failover_probe.py CLUSTER_SH DATA_DIR BOOTSTRAP TOPIC MGMT_URL[,MGMT_URL...] RUNS
An idempotent acks=all producer sends a record to partition 0 every 5 ms. Each run finds the
partition's leader (GET /cluster/partitions on a live node), kills it with `cluster.sh kill`
(SIGKILL) and measures the time from the kill until the first record produced after the kill is
acknowledged: "leader killed until produce succeeds again". The node is then restarted and the run
waits until the ISR is full again. Prints one JSON line per run and a summary line.
"""
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from confluent_kafka import Producer

cluster_sh, data, bootstrap, topic, urls, runs = sys.argv[1:7]
urls, runs = urls.split(","), int(runs)
lock = threading.Lock()
acks = []  # (produced_at, acked_at)


def get(path, skip=None):
    for i, url in enumerate(urls):
        if skip is not None and i + 1 == skip:
            continue
        try:
            with urllib.request.urlopen(url + path, timeout=2) as r:
                return json.load(r)
        except Exception:
            continue
    return None


def partition0():
    body = get("/cluster/partitions")
    for t in (body or {}).get("topics", []):
        if t["name"] == topic:
            return t["partitions"][0]
    return None


producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 0,
                     "message.timeout.ms": 60000, "retry.backoff.ms": 50, "topic.metadata.refresh.interval.ms": 500})
stop = threading.Event()


def pump():
    while not stop.is_set():
        sent = time.monotonic()
        producer.produce(topic, value=b"x", partition=0,
                         on_delivery=lambda err, msg, sent=sent: err is None and acks.append((sent, time.monotonic())))
        producer.poll(0.005)


threading.Thread(target=pump, daemon=True).start()
times = []
for run in range(1, runs + 1):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        p = partition0()
        if p and p["leader"] >= 0 and len(p["isr"]) == len(p["replicas"]) and acks and acks[-1][1] > time.monotonic() - 1:
            break
        time.sleep(0.2)
    leader = p["leader"]
    subprocess.run([cluster_sh, "kill", str(leader), "--data", data], check=True, capture_output=True)
    killed = time.monotonic()
    recovered = None
    while time.monotonic() < killed + 60 and recovered is None:
        time.sleep(0.01)
        recovered = next((a for s, a in list(acks) if s >= killed), None)
    took = None if recovered is None else recovered - killed
    new_leader = (partition0() or {}).get("leader")
    print(json.dumps({"run": run, "killed": leader, "new_leader": new_leader, "failover_s": took}), flush=True)
    if took is not None:
        times.append(took)
    subprocess.run([cluster_sh, "restart", str(leader), "--data", data], check=True, capture_output=True)
stop.set()
producer.flush(30)
summary = {"runs": runs, "recovered": len(times)}
if times:
    summary.update(median_s=round(statistics.median(times), 3), max_s=round(max(times), 3), min_s=round(min(times), 3))
print(json.dumps(summary), flush=True)
