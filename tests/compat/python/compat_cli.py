"""The command line every compat client script shares, so the C# harness calls all clients alike.

    <script> --bootstrap HOST:PORT <command> [options]

Every command prints JSON lines on stdout and exits 0 on success, 1 on failure, and
UNSUPPORTED (64) when this client (at the version installed here) cannot do it at all.
Records are numbered: record i has key "key-i", value "value-i" and header index=i.
"""
import argparse
import json
import sys

UNSUPPORTED = 64
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def emit(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def unsupported(what):
    print(f"unsupported: {what}", file=sys.stderr, flush=True)
    sys.exit(UNSUPPORTED)


def fail(what):
    print(f"failed: {what}", file=sys.stderr, flush=True)
    sys.exit(1)


def record(i, prefix=""):
    """Key, value and headers of record i."""
    return f"{prefix}key-{i}", f"{prefix}value-{i}", [("index", str(i))]


def text(b):
    return None if b is None else b.decode("utf-8", errors="replace")


def key_value(item):
    k, _, v = item.partition("=")
    if not k or not _:
        raise argparse.ArgumentTypeError(f"expected name=value, got {item!r}")
    return k, v


def timestamp(value):
    """earliest, latest or milliseconds since the epoch."""
    if value in ("earliest", "latest"):
        return value
    return int(value)


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--bootstrap", required=True, help="host:port")
    p.add_argument("--timeout-ms", type=int, default=30000)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("create-topic")
    c.add_argument("--topic", required=True)
    c.add_argument("--partitions", type=int, default=1)
    c.add_argument("--replication-factor", type=int, default=1)
    c.add_argument("--config", type=key_value, action="append", default=[])

    c = sub.add_parser("delete-topic")
    c.add_argument("--topic", required=True)

    c = sub.add_parser("produce")
    c.add_argument("--topic", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--start", type=int, default=0, help="number of the first record")
    c.add_argument("--partition", type=int, help="default: the client's partitioner (by key)")
    c.add_argument("--codec", choices=CODECS, default="none")
    c.add_argument("--acks", choices=["all", "1", "0"], default="all")
    c.add_argument("--prefix", default="", help="prepended to every key and value")

    c = sub.add_parser("consume")
    c.add_argument("--topic", required=True)
    c.add_argument("--partition", type=int, required=True)
    c.add_argument("--offset", type=int, required=True)
    c.add_argument("--count", type=int, required=True)

    c = sub.add_parser("list-offsets")
    c.add_argument("--topic", required=True)
    c.add_argument("--timestamp", type=timestamp, required=True, help="earliest, latest or epoch ms")

    c = sub.add_parser("alter-config")
    c.add_argument("--topic", required=True)
    c.add_argument("--config", type=key_value, action="append", required=True)

    c = sub.add_parser("describe-config")
    c.add_argument("--topic", required=True)
    c.add_argument("--name", action="append", default=[], help="only these configs (default: all)")

    c = sub.add_parser("delete-records")
    c.add_argument("--topic", required=True)
    c.add_argument("--partition", type=int, required=True)
    c.add_argument("--before-offset", type=int, required=True)
    return p


def run(description, commands):
    args = parser(description).parse_args()
    handler = commands.get(args.command)
    if handler is None:
        unsupported(args.command)
    handler(args)
