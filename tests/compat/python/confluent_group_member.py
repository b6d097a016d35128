#!/usr/bin/python3
"""A confluent-kafka (librdkafka) consumer-group member for the group tests; see group_cli.py.

librdkafka does not hand the generation to the application: it is read from its cgrp debug log
("JoinGroup response: GenerationId N"), which the consumer's poll() delivers in order with the
rebalance callbacks.

--commit revoke commits only in the revoke callback (and before close): librdkafka 2.0.2 treats an
ILLEGAL_GENERATION answer to a commit racing a cooperative rebalance as a lost assignment
(librdkafka #4059, fixed in 2.10), which Kafka answers the same way, so cooperative tests commit
where the client is between generations.
"""
import logging
import re

from confluent_kafka import Consumer, KafkaException, TopicPartition

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
        "error_cb": lambda e: emit({"ev": "error", "code": e.name(), "fatal": e.fatal(), "reason": e.str()}),
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

    positions = {}  # partition -> next offset, for --commit revoke

    def commit_positions(partitions):
        # Popped: a partition that comes back later must not have an old position committed again.
        offsets = [TopicPartition(a.topic, p, positions.pop(p)) for p in sorted(partitions) if p in positions]
        if not offsets:
            return
        try:
            c.commit(offsets=offsets, asynchronous=False)
            for tp in offsets:
                emit({"ev": "commit", "p": tp.partition, "o": tp.offset})
        except KafkaException as e:
            for tp in offsets:
                emit({"ev": "commit-failed", "p": tp.partition, "o": tp.offset, "error": str(e)})

    def on_revoke(consumer, parts):
        if a.commit == "revoke":
            commit_positions(p.partition for p in parts)
        emit({"ev": "revoke", "parts": sorted(p.partition for p in parts),
              "incremental": cooperative})

    def on_lost(consumer, parts):
        emit({"ev": "revoke", "parts": sorted(p.partition for p in parts),
              "incremental": cooperative})

    c.subscribe([a.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    stop = stdin_closed()
    while not stop.is_set():
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            emit({"ev": "error", "code": m.error().name(), "fatal": m.error().fatal(), "reason": m.error().str()})
            continue
        emit({"ev": "rec", "p": m.partition(), "o": m.offset(), "v": m.value().decode()})
        if a.commit == "revoke":
            positions[m.partition()] = m.offset() + 1
            continue
        try:
            c.commit(message=m, asynchronous=False)
            emit({"ev": "commit", "p": m.partition(), "o": m.offset() + 1})
        except KafkaException as e:
            emit({"ev": "commit-failed", "p": m.partition(), "o": m.offset() + 1, "error": str(e)})
    # Consuming stopped here: the partitions are given up before close() sends LeaveGroup.
    if a.commit == "revoke":
        commit_positions(tp.partition for tp in c.assignment())
    emit({"ev": "revoke", "parts": sorted(tp.partition for tp in c.assignment()), "incremental": cooperative})
    c.close()
    emit({"ev": "closed"})


if __name__ == "__main__":
    main()
