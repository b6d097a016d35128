#!/usr/bin/python3
"""Consumer-group admin through kafka-python 2.0.2's KafkaAdminClient, one JSON line per answer.

    kafka_python_group_admin.py --bootstrap HOST:PORT list
    kafka_python_group_admin.py --bootstrap HOST:PORT describe GROUP...
    kafka_python_group_admin.py --bootstrap HOST:PORT offsets GROUP
    kafka_python_group_admin.py --bootstrap HOST:PORT delete GROUP...

describe prints state, protocol type and name, and each member's client id, host, subscribed topics
and assigned partitions as kafka-python decodes them from the consumer protocol's bytes.
"""
import argparse
import json

from kafka import KafkaAdminClient


def emit(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("command", choices=["list", "describe", "offsets", "delete"])
    p.add_argument("groups", nargs="*")
    a = p.parse_args()
    admin = KafkaAdminClient(bootstrap_servers=a.bootstrap, request_timeout_ms=20000)
    if a.command == "list":
        for group, protocol_type in admin.list_consumer_groups():
            emit({"group": group, "protocol_type": protocol_type})
    elif a.command == "describe":
        for g in admin.describe_consumer_groups(a.groups):
            members = []
            for m in g.members:
                metadata, assignment = m.member_metadata, m.member_assignment
                members.append({
                    "member": m.member_id, "client": m.client_id, "host": m.client_host,
                    "topics": sorted(metadata.subscription) if metadata else [],
                    "partitions": sorted([t, q] for t, qs in (assignment.assignment if assignment else []) for q in qs),
                })
            emit({"group": g.group, "error": g.error_code, "state": g.state, "protocol_type": g.protocol_type,
                  "protocol": g.protocol, "members": members})
    elif a.command == "offsets":
        for tp, om in sorted(admin.list_consumer_group_offsets(a.groups[0]).items()):
            emit({"topic": tp.topic, "partition": tp.partition, "offset": om.offset})
    else:
        for group, error in admin.delete_consumer_groups(a.groups):
            emit({"group": group, "error": error.__name__})
    admin.close()


if __name__ == "__main__":
    main()
