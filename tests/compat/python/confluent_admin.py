"""Config admin through confluent-kafka's AdminClient (librdkafka), entry by entry.

    confluent_admin.py --bootstrap HOST:PORT [--timeout-ms MS] describe --type topic|broker --name N
    confluent_admin.py --bootstrap HOST:PORT [--timeout-ms MS] alter --type topic|broker --name N [--validate-only] --config k=v...

describe prints one JSON line per config: name, value, source, read_only, is_default, sensitive
and synonyms (name, value, source; librdkafka asks for them); alter prints {"altered": true}. A resource error is printed as
{"error": CODE_NAME, "message": ...} and exits 0, so the caller checks Kafka's exact error code.
"""
import argparse
import json
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource


def emit(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def error_line(e):
    err = e.args[0] if e.args else None
    name = err.name() if hasattr(err, "name") else type(e).__name__
    emit({"error": name, "message": str(err.str() if hasattr(err, "str") else e)})


def key_value(item):
    k, _, v = item.partition("=")
    return k, v


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--timeout-ms", type=int, default=30000)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("describe")
    d.add_argument("--type", required=True, choices=["topic", "broker"])
    d.add_argument("--name", required=True)
    a = sub.add_parser("alter")
    a.add_argument("--type", required=True, choices=["topic", "broker"])
    a.add_argument("--name", required=True)
    a.add_argument("--validate-only", action="store_true")
    a.add_argument("--config", type=key_value, action="append", default=[])
    args = p.parse_args()
    timeout = args.timeout_ms / 1000
    admin = AdminClient({"bootstrap.servers": args.bootstrap})

    if args.command == "describe":
        resource = ConfigResource(args.type, args.name)
        futures = admin.describe_configs([resource], request_timeout=timeout)
        for f in futures.values():
            try:
                entries = f.result(timeout=timeout)
            except KafkaException as e:
                error_line(e)
                return
            for name, e in sorted(entries.items()):
                emit({
                    "name": name, "value": e.value, "source": e.source, "read_only": e.is_read_only,
                    "is_default": e.is_default, "sensitive": e.is_sensitive,
                    "synonyms": [{"name": s.name, "value": s.value, "source": s.source}
                                 for s in e.synonyms.values()],
                })
    else:
        resource = ConfigResource(args.type, args.name, set_config=dict(args.config))
        futures = admin.alter_configs([resource], request_timeout=timeout, validate_only=args.validate_only)
        for f in futures.values():
            try:
                f.result(timeout=timeout)
            except KafkaException as e:
                error_line(e)
                return
        emit({"altered": True})


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - the harness shows the reason
        print(f"failed: {e!r}", file=sys.stderr, flush=True)
        sys.exit(1)
