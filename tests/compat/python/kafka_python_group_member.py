#!/usr/bin/python3
"""A kafka-python consumer-group member for the group tests; see group_cli.py.

kafka-python 2.0.2 has no static membership (group.instance.id) and no cooperative protocol: only
range and roundrobin. The generation comes from its coordinator, which sets it before calling the
rebalance listener.
"""
import sys

from kafka import ConsumerRebalanceListener, KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.errors import KafkaError

from group_cli import emit, parser, stdin_closed


def main():
    a = parser(__doc__.splitlines()[0]).parse_args()
    if a.instance_id or a.strategy == "cooperative-sticky":
        print("unsupported: kafka-python 2.0.2 has no static membership or cooperative protocol", file=sys.stderr)
        sys.exit(64)
    c = KafkaConsumer(
        bootstrap_servers=a.bootstrap, group_id=a.group, enable_auto_commit=False, auto_offset_reset=a.reset,
        session_timeout_ms=a.session_timeout_ms, heartbeat_interval_ms=max(100, a.session_timeout_ms // 6),
        partition_assignment_strategy=[RangePartitionAssignor if a.strategy == "range" else RoundRobinPartitionAssignor])

    def generation():
        g = getattr(c._coordinator, "_generation", None)  # noqa: SLF001 - not exposed otherwise
        return -1 if g is None else g.generation_id

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            emit({"ev": "revoke", "parts": sorted(tp.partition for tp in revoked), "incremental": False})

        def on_partitions_assigned(self, assigned):
            emit({"ev": "assign", "gen": generation(), "parts": sorted(tp.partition for tp in assigned), "incremental": False})

    c.subscribe([a.topic], listener=Listener())
    stop = stdin_closed()
    while not stop.is_set():
        for tp, records in c.poll(timeout_ms=200, max_records=20).items():
            for m in records:
                if stop.is_set():
                    break  # never printed, so the next owner reading it again is no duplicate
                emit({"ev": "rec", "p": m.partition, "o": m.offset, "v": m.value.decode()})
                try:
                    c.commit({TopicPartition(m.topic, m.partition): OffsetAndMetadata(m.offset + 1, None)})
                    emit({"ev": "commit", "p": m.partition, "o": m.offset + 1})
                except KafkaError as e:
                    emit({"ev": "commit-failed", "p": m.partition, "o": m.offset + 1, "error": repr(e)})
    # Consuming stopped here: the partitions are given up before close() sends LeaveGroup.
    emit({"ev": "revoke", "parts": sorted(tp.partition for tp in c.assignment()), "incremental": False})
    c.close()
    emit({"ev": "closed"})


if __name__ == "__main__":
    main()
