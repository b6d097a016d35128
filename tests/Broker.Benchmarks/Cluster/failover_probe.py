#!/usr/bin/python3
"""Failover time of a local cluster (benchmark helper, not a test).

usage: failover_probe.py CLUSTER_SH DATA_DIR BOOTSTRAP TOPIC MGMT_URL[,MGMT_URL...] RUNS
Each run creates a fresh topic (1 partition, RF=3, min.insync.replicas=2) and an idempotent acks=all
producer sending a record every 5 ms, finds the partition's leader (GET /cluster/partitions on a live
node) once all three replicas are in sync, kills it (SIGKILL, as `cluster.sh kill`) and measures the time from the kill until the first record produced after the kill is
acknowledged: "leader killed until produce succeeds again" (the probe sends the SIGKILL itself, so the clock
starts at the kill, not when a loaded machine gets round to running `cluster.sh`). The node is then
restarted. Prints one JSON line per run and a summary line.
"""
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

cluster_sh, data, bootstrap, topic, urls, runs = sys.argv[1:7]
urls, runs = urls.split(","), int(runs)


def get(path):
    for url in urls:
        try:
            with urllib.request.urlopen(url + path, timeout=2) as r:
                return json.load(r)
        except Exception:
            continue
    return None


def partition0(name):
    body = get("/cluster/partitions")
    for t in (body or {}).get("topics", []):
        if t["name"] == name:
            return t["partitions"][0]
    return None


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return not f.read().rsplit(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, ProcessLookupError):
        return False


admin = AdminClient({"bootstrap.servers": bootstrap})
times = []
for run in range(1, runs + 1):
    # A fresh topic per run: each measurement starts from three in-sync replicas.
    name = f"{topic}-{run}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        members = (get("/cluster/members") or {}).get("members", [])
        if sum(1 for m in members if m["status"] == "up" and "broker" in m["roles"]) == len(urls):
            break
        time.sleep(0.2)
    admin.create_topics([NewTopic(name, 1, 3, config={"min.insync.replicas": "2"})])[name].result(timeout=60)
    acks = []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 0,
                         "message.timeout.ms": 60000, "retry.backoff.ms": 50, "topic.metadata.refresh.interval.ms": 500})
    stop = threading.Event()

    def pump():
        while not stop.is_set():
            sent = time.monotonic()
            producer.produce(name, value=b"x", partition=0,
                             on_delivery=lambda err, msg, sent=sent: err is None and acks.append((sent, time.monotonic())))
            producer.poll(0.005)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    p = None
    while time.monotonic() < deadline:
        p = partition0(name)
        if p and p["leader"] >= 0 and len(p["isr"]) == 3 and acks and acks[-1][1] > time.monotonic() - 1:
            break
        time.sleep(0.2)
    leader = p["leader"]
    # SIGKILL sent from here, so the clock starts at the kill itself (cluster.sh takes seconds to start on a
    # loaded machine); only records produced after it count. Then what `cluster.sh kill` does: wait until the
    # process is gone, forget its pid.
    pidfile = os.path.join(data, f"node-{leader}", "node.pid")
    with open(pidfile) as f:
        pid = int(f.read().strip())
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    while alive(pid):
        time.sleep(0.01)
    os.remove(pidfile)
    recovered = None
    while time.monotonic() < killed + 60 and recovered is None:
        time.sleep(0.01)
        recovered = next((a for s, a in list(acks) if s >= killed), None)
    took = None if recovered is None else recovered - killed
    print(json.dumps({"run": run, "topic": name, "killed": leader, "new_leader": (partition0(name) or {}).get("leader"),
                      "failover_s": None if took is None else round(took, 3)}), flush=True)
    if took is not None:
        times.append(took)
    stop.set()
    thread.join()
    producer.flush(10)
    restart = subprocess.run([cluster_sh, "restart", str(leader), "--data", data], capture_output=True, text=True)
    if restart.returncode != 0:
        sys.exit(f"cluster.sh restart {leader} failed:\n{restart.stdout}{restart.stderr}")
summary = {"runs": runs, "recovered": len(times)}
if times:
    summary.update(median_s=round(statistics.median(times), 3), max_s=round(max(times), 3), min_s=round(min(times), 3))
print(json.dumps(summary), flush=True)
