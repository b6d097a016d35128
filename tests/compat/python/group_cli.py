"""The command line and output shared by the consumer-group member scripts (one per client).

    <script> --bootstrap HOST:PORT --group G --topic T [--session-timeout-ms MS]
             [--strategy range|roundrobin|cooperative-sticky] [--instance-id ID] [--reset earliest|latest]
             [--commit each|revoke]    (revoke: confluent only)

The member subscribes to T in group G and runs until its stdin closes: then it closes the consumer
cleanly (LeaveGroup unless static) and prints {"ev": "closed"}. Each record is committed
synchronously (offset + 1) right after it is printed, so at-least-once redelivery can only repeat the
records a killed member printed without a "commit" line. JSON lines on stdout, "t" is epoch ms:

    {"ev": "assign", "t": T, "gen": G, "parts": [...], "incremental": bool}   (gen -1 if unknown)
    {"ev": "revoke", "t": T, "parts": [...], "incremental": bool}
    {"ev": "rec", "t": T, "p": P, "o": O, "v": "value"}
    {"ev": "commit", "t": T, "p": P, "o": O}          (O is the next offset to read)
    {"ev": "commit-failed", "t": T, "p": P, "o": O, "error": "..."}
    {"ev": "closed", "t": T}
    {"ev": "error", "t": T, "code": "NAME", "fatal": bool, "reason": "..."}   (confluent: error callback, poll errors)
"""
import argparse
import json
import sys
import threading
import time


def now_ms():
    return int(time.time() * 1000)


_out = threading.Lock()


def emit(obj):
    obj.setdefault("t", now_ms())
    with _out:
        print(json.dumps(obj, sort_keys=True), flush=True)


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--session-timeout-ms", type=int, default=6000)
    p.add_argument("--strategy", default="range", choices=["range", "roundrobin", "cooperative-sticky"])
    p.add_argument("--instance-id")
    p.add_argument("--reset", default="earliest", choices=["earliest", "latest"])
    p.add_argument("--commit", default="each", choices=["each", "revoke"],
                   help="each: every record synchronously; revoke: only in the revoke callback and before close")
    return p


def stdin_closed():
    """An event set when stdin reaches end of file: the harness's signal to leave cleanly."""
    done = threading.Event()

    def watch():
        try:
            while sys.stdin.readline():
                pass
        finally:
            done.set()

    threading.Thread(target=watch, daemon=True).start()
    return done
