#!/usr/bin/python3
"""An idempotent librdkafka producer (confluent-kafka, enable.idempotence=true) for the
connection-cut test: sends values 0..count-1 to one partition, paced so the stream lasts a few
seconds, and prints one JSON line with how many were delivered and any errors.

    idempotent_producer.py --bootstrap HOST:PORT --topic T --count N [--per-second R]
"""
import argparse
import json
import sys
import time

from confluent_kafka import Producer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--per-second", type=int, default=4000)
    p.add_argument("--timeout-ms", type=int, default=60000)
    a = p.parse_args()
    producer = Producer({
        "bootstrap.servers": a.bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 2,
        "batch.num.messages": 50,
        "max.in.flight.requests.per.connection": 5,
        "message.timeout.ms": a.timeout_ms,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 200,
    })
    delivered, errors = [0], []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered[0] += 1

    start = time.monotonic()
    for i in range(a.count):
        while True:
            try:
                producer.produce(a.topic, key=b"k", value=str(i).encode(), partition=0, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
        ahead = i / a.per_second - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    left = producer.flush(a.timeout_ms / 1000)
    print(json.dumps({"delivered": delivered[0], "undelivered": left, "errors": errors[:20]}), flush=True)
    sys.exit(0 if left == 0 and not errors else 1)


if __name__ == "__main__":
    main()
