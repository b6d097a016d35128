#!/usr/bin/python3
"""confluent-kafka-python (librdkafka underneath), driven by the compatibility tests.

See compat_cli.py for the commands and output. Not available in confluent-kafka 1.7:
delete-records (AdminClient.delete_records arrived in 2.4).
"""
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from compat_cli import emit, fail, record, run, text


# Keep the AdminClient referenced until its futures resolve: a temporary is destroyed at once and
# fails every pending request with _DESTROY.
_admins = []


def admin(a):
    client = AdminClient({"bootstrap.servers": a.bootstrap, "socket.timeout.ms": a.timeout_ms})
    _admins.append(client)
    return client


def create_topic(a):
    topic = NewTopic(a.topic, a.partitions, a.replication_factor, config=dict(a.config))
    futures = admin(a).create_topics([topic], operation_timeout=a.timeout_ms / 1000)
    futures[a.topic].result(timeout=a.timeout_ms / 1000)
    emit({"topic": a.topic, "created": True})


def delete_topic(a):
    futures = admin(a).delete_topics([a.topic], operation_timeout=a.timeout_ms / 1000)
    futures[a.topic].result(timeout=a.timeout_ms / 1000)
    emit({"topic": a.topic, "deleted": True})


def produce(a):
    producer = Producer({"bootstrap.servers": a.bootstrap, "compression.type": a.codec,
                         "acks": {"all": -1, "1": 1, "0": 0}[a.acks], "linger.ms": 5,
                         "message.timeout.ms": a.timeout_ms})
    errors, delivered = [], {}

    def on_delivery(i):
        def report(err, msg):
            if err is not None:
                errors.append(str(err))
            else:
                delivered[i] = {"partition": msg.partition(), "offset": msg.offset(), "key": text(msg.key())}
        return report

    for i in range(a.start, a.start + a.count):
        key, value, headers = record(i, a.prefix)
        extra = {} if a.partition is None else {"partition": a.partition}
        producer.produce(a.topic, key=key.encode(), value=value.encode(),
                         headers=[(k, v.encode()) for k, v in headers], on_delivery=on_delivery(i), **extra)
        producer.poll(0)
    left = producer.flush(a.timeout_ms / 1000)
    if errors or left:
        fail(f"{left} records undelivered, errors: {errors}")
    for i in sorted(delivered):  # send order, as the other clients report it
        emit(delivered[i])


def consumer(a):
    # librdkafka wants a group.id even for assign(); nothing is committed with it.
    return Consumer({"bootstrap.servers": a.bootstrap, "group.id": f"compat-{uuid.uuid4()}",
                     "enable.auto.commit": False, "auto.offset.reset": "error"})


def consume(a):
    c = consumer(a)
    c.assign([TopicPartition(a.topic, a.partition, a.offset)])
    got, deadline = 0, time.monotonic() + a.timeout_ms / 1000
    try:
        while got < a.count and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                fail(str(m.error()))
            emit({"partition": m.partition(), "offset": m.offset(), "timestamp": m.timestamp()[1],
                  "key": text(m.key()), "value": text(m.value()),
                  "headers": {k: text(v) for k, v in (m.headers() or [])}})
            got += 1
    finally:
        c.close()
    if got < a.count:
        fail(f"consumed {got} of {a.count} records")


def list_offsets(a):
    c = consumer(a)
    try:
        partitions = sorted(c.list_topics(a.topic, timeout=a.timeout_ms / 1000).topics[a.topic].partitions)
        if a.timestamp in ("earliest", "latest"):
            for p in partitions:
                low, high = c.get_watermark_offsets(TopicPartition(a.topic, p), timeout=a.timeout_ms / 1000)
                emit({"partition": p, "offset": low if a.timestamp == "earliest" else high})
        else:
            found = c.offsets_for_times([TopicPartition(a.topic, p, a.timestamp) for p in partitions],
                                        timeout=a.timeout_ms / 1000)
            for tp in sorted(found, key=lambda t: t.partition):
                emit({"partition": tp.partition, "offset": tp.offset})
    finally:
        c.close()


def alter_config(a):
    # Non-incremental AlterConfigs: configs not named here return to their defaults.
    resource = ConfigResource("topic", a.topic, set_config=dict(a.config))
    for f in admin(a).alter_configs([resource]).values():
        f.result(timeout=a.timeout_ms / 1000)
    emit({"topic": a.topic, "altered": dict(a.config)})


def describe_config(a):
    futures = admin(a).describe_configs([ConfigResource("topic", a.topic)])
    for f in futures.values():
        for name, entry in sorted(f.result(timeout=a.timeout_ms / 1000).items()):
            if not a.name or name in a.name:
                emit({"name": name, "value": entry.value})


if __name__ == "__main__":
    run(__doc__.splitlines()[0], {
        "create-topic": create_topic, "delete-topic": delete_topic, "produce": produce,
        "consume": consume, "list-offsets": list_offsets, "alter-config": alter_config,
        "describe-config": describe_config,
    })
