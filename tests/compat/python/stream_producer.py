#!/usr/bin/python3
"""Produces records 0, 1, 2, ... (value "i", partition i % --partitions) at about --rate records per
second until stdin closes (or --count records), then flushes and prints one {"i", "p", "o"} JSON line per delivered record
and {"produced": N}. confluent-kafka with acks=all and idempotence, so every record lands once.
"""
import argparse
import json
import sys
import threading
import time

from confluent_kafka import Producer


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--partitions", type=int, required=True)
    p.add_argument("--rate", type=int, default=100)
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--count", type=int, help="produce this many and stop, instead of waiting for stdin to close")
    a = p.parse_args()
    done = threading.Event()

    def watch():
        while sys.stdin.readline():
            pass
        done.set()

    if a.count is None:
        threading.Thread(target=watch, daemon=True).start()
    producer = Producer({"bootstrap.servers": a.bootstrap, "acks": -1, "enable.idempotence": True, "linger.ms": 5})
    delivered, errors = {}, []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered[int(msg.value())] = (msg.partition(), msg.offset())

    i = a.start
    started = time.monotonic()
    while not done.is_set() and (a.count is None or i < a.start + a.count):
        producer.produce(a.topic, value=str(i).encode(), partition=i % a.partitions, on_delivery=report)
        i += 1
        producer.poll(0)
        ahead = (i - a.start) / a.rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
    left = producer.flush(30)
    for n in sorted(delivered):
        print(json.dumps({"i": n, "p": delivered[n][0], "o": delivered[n][1]}))
    print(json.dumps({"produced": len(delivered)}), flush=True)
    if errors or left:
        print(f"failed: {left} undelivered, errors {errors[:5]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
