#!/usr/bin/python3
"""A confluent-kafka (librdkafka) consumer-group member for the group tests; see group_cli.py.

librdkafka does not hand the generation to the application: it is read from its cgrp debug log
("JoinGroup response: GenerationId N"), which the consumer's poll() delivers in order with the
rebalance callbacks.
"""
import logging
import re

from confluent_kafka import Consumer, KafkaException

from group_cli import emit, parser, stdin_closed

GENERATION = re.compile(r"JoinGroup response: GenerationId (-?\d+)")


class GenerationLog(logging.Handler):
    def __init__(self):
        super().__init__()
        self.generation = -1

    def emit(self, record):
        m = GENERATION.search(record.getMessage())
        if m:
            self.generation = int(m.group(1))


def main():
    a = parser(__doc__.splitlines()[0]).parse_args()
    log = GenerationLog()
    logger = logging.getLogger("rdkafka")
    logger.propagate = False
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    conf = {
        "bootstrap.servers": a.bootstrap, "group.id": a.group, "enable.auto.commit": False,
        "auto.offset.reset": a.reset, "session.timeout.ms": a.session_timeout_ms,
        "heartbeat.interval.ms": max(100, a.session_timeout_ms // 6),
        "partition.assignment.strategy": a.strategy, "debug": "cgrp",
    }
    if a.instance_id:
        conf["group.instance.id"] = a.instance_id
    c = Consumer(conf, logger=logger)
    # confluent-kafka 1.7 has no rebalance_protocol(); the strategy decides it, and the client's
    # callback wrapper calls incremental_assign/unassign itself when the protocol is cooperative.
    cooperative = a.strategy == "cooperative-sticky"

    def on_assign(consumer, parts):
        emit({"ev": "assign", "gen": log.generation, "parts": sorted(p.partition for p in parts),
              "incremental": cooperative})

    def on_revoke(consumer, parts):
        emit({"ev": "revoke", "parts": sorted(p.partition for p in parts),
              "incremental": cooperative})

    c.subscribe([a.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
    stop = stdin_closed()
    while not stop.is_set():
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        emit({"ev": "rec", "p": m.partition(), "o": m.offset(), "v": m.value().decode()})
        try:
            c.commit(message=m, asynchronous=False)
            emit({"ev": "commit", "p": m.partition(), "o": m.offset() + 1})
        except KafkaException as e:
            emit({"ev": "commit-failed", "p": m.partition(), "o": m.offset() + 1, "error": str(e)})
    # Consuming stopped here: the partitions are given up before close() sends LeaveGroup.
    emit({"ev": "revoke", "parts": sorted(tp.partition for tp in c.assignment()), "incremental": cooperative})
    c.close()
    emit({"ev": "closed"})


if __name__ == "__main__":
    main()
