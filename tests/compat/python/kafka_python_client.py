#!/usr/bin/python3
"""kafka-python (pure Python), driven by the compatibility tests.

See compat_cli.py for the commands and output. kafka-python 2.0.2 has no DeleteRecords, so
delete-records sends a hand-declared DeleteRecords v0 request through its client. Codecs other
than gzip need Python packages (python-snappy, lz4, zstandard) that are not installed here:
those exit UNSUPPORTED.
"""
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.protocol.api import Request, Response
from kafka.protocol.types import Array, Int16, Int32, Int64, Schema, String

from compat_cli import emit, fail, record, run, text, unsupported


def admin(a):
    return KafkaAdminClient(bootstrap_servers=a.bootstrap, request_timeout_ms=a.timeout_ms,
                            client_id="compat-kafka-python")


def check(errors, what):
    bad = [e for e in errors if e[1] != 0]
    if bad:
        fail(f"{what}: {bad}")


def create_topic(a):
    topic = NewTopic(a.topic, a.partitions, a.replication_factor, topic_configs=dict(a.config))
    response = admin(a).create_topics([topic], timeout_ms=a.timeout_ms)
    check(response.topic_errors, "create_topics")
    emit({"topic": a.topic, "created": True})


def delete_topic(a):
    response = admin(a).delete_topics([a.topic], timeout_ms=a.timeout_ms)
    check(response.topic_error_codes, "delete_topics")
    emit({"topic": a.topic, "deleted": True})


def codec_available(codec):
    from kafka import codec as c
    return {"none": True, "gzip": True, "snappy": c.has_snappy(), "lz4": c.has_lz4(),
            "zstd": c.has_zstd()}[codec]


def produce(a):
    if not codec_available(a.codec):
        unsupported(f"codec {a.codec} (its Python package is not installed)")
    producer = KafkaProducer(bootstrap_servers=a.bootstrap, linger_ms=5,
                             acks={"all": "all", "1": 1, "0": 0}[a.acks],
                             compression_type=None if a.codec == "none" else a.codec,
                             request_timeout_ms=a.timeout_ms)
    futures = []
    for i in range(a.start, a.start + a.count):
        key, value, headers = record(i, a.prefix)
        futures.append((key, producer.send(a.topic, key=key.encode(), value=value.encode(), partition=a.partition,
                                           headers=[(k, v.encode()) for k, v in headers])))
    for key, f in futures:
        m = f.get(timeout=a.timeout_ms / 1000)
        emit({"partition": m.partition, "offset": m.offset, "key": key})
    producer.close()


def consumer(a):
    return KafkaConsumer(bootstrap_servers=a.bootstrap, group_id=None, enable_auto_commit=False,
                         request_timeout_ms=max(a.timeout_ms, 30001), client_id="compat-kafka-python")


def consume(a):
    c = consumer(a)
    tp = TopicPartition(a.topic, a.partition)
    c.assign([tp])
    c.seek(tp, a.offset)
    got, deadline = 0, time.monotonic() + a.timeout_ms / 1000
    while got < a.count and time.monotonic() < deadline:
        for m in c.poll(timeout_ms=500, max_records=a.count - got).get(tp, []):
            emit({"partition": m.partition, "offset": m.offset, "timestamp": m.timestamp,
                  "key": text(m.key), "value": text(m.value),
                  "headers": {k: text(v) for k, v in m.headers}})
            got += 1
    c.close()
    if got < a.count:
        fail(f"consumed {got} of {a.count} records")


def list_offsets(a):
    c = consumer(a)
    partitions = [TopicPartition(a.topic, p) for p in sorted(c.partitions_for_topic(a.topic) or [])]
    if a.timestamp == "earliest":
        found = {tp: o for tp, o in c.beginning_offsets(partitions).items()}
    elif a.timestamp == "latest":
        found = {tp: o for tp, o in c.end_offsets(partitions).items()}
    else:
        found = {tp: (None if o is None else o.offset)
                 for tp, o in c.offsets_for_times({tp: a.timestamp for tp in partitions}).items()}
    for tp in sorted(found, key=lambda t: t.partition):
        emit({"partition": tp.partition, "offset": -1 if found[tp] is None else found[tp]})
    c.close()


def alter_config(a):
    # Non-incremental AlterConfigs: configs not named here return to their defaults.
    response = admin(a).alter_configs([ConfigResource(ConfigResourceType.TOPIC, a.topic, configs=dict(a.config))])
    bad = [r for r in response.resources if r[0] != 0]
    if bad:
        fail(f"alter_configs: {bad}")
    emit({"topic": a.topic, "altered": dict(a.config)})


def describe_config(a):
    for response in admin(a).describe_configs([ConfigResource(ConfigResourceType.TOPIC, a.topic)]):
        for error_code, error_message, _type, _name, entries in response.resources:
            if error_code != 0:
                fail(f"describe_configs: {error_code} {error_message}")
            for entry in sorted(entries, key=lambda e: e[0]):
                if not a.name or entry[0] in a.name:
                    emit({"name": entry[0], "value": entry[1]})


class DeleteRecordsResponse_v0(Response):
    API_KEY = 21
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("topics", Array(("name", String("utf-8")),
                         ("partitions", Array(("partition_index", Int32), ("low_watermark", Int64),
                                              ("error_code", Int16))))))


class DeleteRecordsRequest_v0(Request):
    API_KEY = 21
    API_VERSION = 0
    RESPONSE_TYPE = DeleteRecordsResponse_v0
    SCHEMA = Schema(
        ("topics", Array(("name", String("utf-8")),
                         ("partitions", Array(("partition_index", Int32), ("offset", Int64))))),
        ("timeout_ms", Int32))


def delete_records(a):
    client = admin(a)
    # DeleteRecords goes to the partition's leader.
    meta = client._client.cluster
    client._client.set_topics([a.topic])
    future = client._client.cluster.request_update()
    client._client.poll(future=future, timeout_ms=a.timeout_ms)
    leader = meta.leader_for_partition(TopicPartition(a.topic, a.partition))
    if leader is None or leader < 0:
        fail(f"no leader for {a.topic}-{a.partition}")
    request = DeleteRecordsRequest_v0(topics=[(a.topic, [(a.partition, a.before_offset)])], timeout_ms=a.timeout_ms)
    future = client._send_request_to_node(leader, request)
    client._client.poll(future=future, timeout_ms=a.timeout_ms)
    if not future.succeeded():
        fail(f"delete_records: {future.exception}")
    for _name, partitions in future.value.topics:
        for index, low_watermark, error_code in partitions:
            if error_code != 0:
                fail(f"delete_records: partition {index} error {error_code}")
            emit({"partition": index, "low_watermark": low_watermark})


if __name__ == "__main__":
    run(__doc__.splitlines()[0], {
        "create-topic": create_topic, "delete-topic": delete_topic, "produce": produce,
        "consume": consume, "list-offsets": list_offsets, "alter-config": alter_config,
        "describe-config": describe_config, "delete-records": delete_records,
    })
