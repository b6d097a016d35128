#!/usr/bin/python3
"""A throwaway Kafka broker that records what real clients send.

It answers just enough by hand (ApiVersions, Metadata, Produce, InitProducerId) for a client to
get as far as producing, and writes every request frame (without its 4-byte size prefix) to
--out as NNNN-<api>-v<version>.bin, plus one JSON line per frame in frames.jsonl. It is the
capture tool behind tests/compat/tools/capture_fixtures.sh; no test runs it.

Standard library only. Usage:
    fake_broker.py --port 0 --out DIR [--port-file FILE] [--partitions 1]
"""
import argparse
import json
import os
import socket
import socketserver
import struct
import sys
import threading

API_NAMES = {0: "produce", 3: "metadata", 18: "apiversions", 22: "initproducerid"}
# The versions the encoders below can answer.
SUPPORTED = {0: (3, 9), 3: (0, 12), 18: (0, 3), 22: (0, 4)}
# What ApiVersions advertises: more than is answered, because librdkafka derives its features from
# the whole table. It writes magic v2 batches only when Fetch v4 is there, zstd only with Fetch v10,
# lz4 only with FindCoordinator, and gzip/snappy/lz4 only when Produce v0 is advertised (it checks
# the codec against Produce 0..0; Kafka 4.0 had to keep advertising Produce v0-v2 for that reason).
# A producer never sends the unanswered ones; if one arrives the connection is closed.
ADVERTISED = {**SUPPORTED, 0: (0, 9), 1: (4, 11), 10: (0, 2)}
FLEXIBLE_FROM = {0: 9, 3: 9, 18: 3, 22: 2}
UNSUPPORTED_VERSION = 35
NODE_ID = 1


class Reader:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"truncated: need {n} at {self.pos} of {len(self.data)}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int8(self): return struct.unpack(">b", self.take(1))[0]
    def int16(self): return struct.unpack(">h", self.take(2))[0]
    def int32(self): return struct.unpack(">i", self.take(4))[0]
    def int64(self): return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        value = shift = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def string(self, compact):
        n = self.uvarint() - 1 if compact else self.int16()
        return None if n < 0 else self.take(n).decode("utf-8")

    def bytes_(self, compact):
        n = self.uvarint() - 1 if compact else self.int32()
        return None if n < 0 else self.take(n)

    def count(self, compact):
        return self.uvarint() - 1 if compact else self.int32()

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


class Writer:
    def __init__(self, compact):
        self.buf, self.compact = bytearray(), compact

    def int8(self, v): self.buf += struct.pack(">b", v); return self
    def int16(self, v): self.buf += struct.pack(">h", v); return self
    def int32(self, v): self.buf += struct.pack(">i", v); return self
    def int64(self, v): self.buf += struct.pack(">q", v); return self

    def uvarint(self, v):
        while v >= 0x80:
            self.buf.append((v & 0x7F) | 0x80)
            v >>= 7
        self.buf.append(v)
        return self

    def string(self, s):
        if s is None:
            return self.uvarint(0) if self.compact else self.int16(-1)
        b = s.encode("utf-8")
        (self.uvarint(len(b) + 1) if self.compact else self.int16(len(b)))
        self.buf += b
        return self

    def count(self, n):
        return self.uvarint(n + 1) if self.compact else self.int32(n)

    def tags(self):
        return self.uvarint(0) if self.compact else self


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.seq = 0
        self.out = args.out
        self.partitions = args.partitions
        self.topics = set()
        self.next_offset = {}
        self.port = 0
        self.next_producer_id = 1000


def parse_header(frame):
    r = Reader(frame)
    api_key, version, correlation_id = r.int16(), r.int16(), r.int32()
    client_id = r.string(False)  # request header v1 and v2 both use a classic nullable string
    flexible = version >= FLEXIBLE_FROM.get(api_key, 1 << 15)
    if flexible:
        r.tags()
    return api_key, version, correlation_id, client_id, flexible, r


def metadata_request_topics(r, version, flexible):
    n = r.count(flexible)
    if n < 0:
        return None
    names = []
    for _ in range(n):
        if version >= 10:
            r.take(16)
        names.append(r.string(flexible))
        if flexible:
            r.tags()
    return names


def metadata_response(state, version, flexible, topics):
    w = Writer(flexible)
    if version >= 3:
        w.int32(0)
    w.count(1).int32(NODE_ID).string("127.0.0.1").int32(state.port)
    if version >= 1:
        w.string(None)
    w.tags()
    if version >= 2:
        w.string("fake-cluster")
    if version >= 1:
        w.int32(NODE_ID)
    w.count(len(topics))
    for name in topics:
        w.int16(0).string(name)
        if version >= 10:
            w.buf += bytes(16)
        if version >= 1:
            w.int8(0)
        w.count(state.partitions)
        for p in range(state.partitions):
            w.int16(0).int32(p).int32(NODE_ID)
            if version >= 7:
                w.int32(0)
            w.count(1).int32(NODE_ID).count(1).int32(NODE_ID)
            if version >= 5:
                w.count(0)
            w.tags()
        if version >= 8:
            w.int32(-2147483648)
        w.tags()
    if 8 <= version <= 10:
        w.int32(-2147483648)
    w.tags()
    return w.buf


def produce(state, r, version, flexible, entry):
    entry["transactional_id"] = r.string(flexible)
    acks, timeout = r.int16(), r.int32()
    entry.update(acks=acks, timeout_ms=timeout, partitions=[])
    results = []
    for _ in range(r.count(flexible)):
        name = r.string(flexible)
        parts = []
        for _ in range(r.count(flexible)):
            index = r.int32()
            records = r.bytes_(flexible) or b""
            # Sum the record counts of the v2 batches so the next base offset moves on.
            count, pos, batches = 0, 0, []
            while pos + 61 <= len(records):
                (length,) = struct.unpack_from(">i", records, pos + 8)
                (attributes,) = struct.unpack_from(">h", records, pos + 21)
                (records_in_batch,) = struct.unpack_from(">i", records, pos + 57)
                batches.append({"records": records_in_batch, "compression": attributes & 7})
                count += records_in_batch
                pos += 12 + length
            entry["partitions"].append({"topic": name, "partition": index, "batches": batches})
            with state.lock:
                base = state.next_offset.get((name, index), 0)
                state.next_offset[(name, index)] = base + count
            parts.append((index, base))
            if flexible:
                r.tags()
        results.append((name, parts))
        if flexible:
            r.tags()
    if acks == 0:
        return None
    w = Writer(flexible)
    w.count(len(results))
    for name, parts in results:
        w.string(name).count(len(parts))
        for index, base in parts:
            w.int32(index).int16(0).int64(base).int64(-1)
            if version >= 5:
                w.int64(0)
            if version >= 8:
                w.count(0).string(None)
            w.tags()
        w.tags()
    w.int32(0).tags()
    return w.buf


def api_versions_response(version, error=0):
    flexible = version >= 3
    w = Writer(flexible)
    w.int16(error).count(len(ADVERTISED))
    for key, (lo, hi) in sorted(ADVERTISED.items()):
        w.int16(key).int16(lo).int16(hi).tags()
    if version >= 1:
        w.int32(0)
    w.tags()
    return w.buf


def init_producer_id_response(state, flexible):
    with state.lock:
        pid = state.next_producer_id
        state.next_producer_id += 1
    return Writer(flexible).int32(0).int16(0).int64(pid).int16(0).tags().buf


def handle(state, frame):
    """Returns (response body or None, response header is flexible, record for frames.jsonl)."""
    api_key, version, correlation_id, client_id, flexible, r = parse_header(frame)
    name = API_NAMES.get(api_key, f"api{api_key}")
    entry = {"api_key": api_key, "api": name, "version": version, "client_id": client_id,
             "correlation_id": correlation_id}
    lo_hi = SUPPORTED.get(api_key)
    if api_key == 18:
        if version > SUPPORTED[18][1]:
            # As Kafka does: answer an unknown ApiVersions version in v0 with the supported range.
            return api_versions_response(0, UNSUPPORTED_VERSION), False, entry
        if version >= 3:
            entry["client_software_name"] = r.string(True)
            entry["client_software_version"] = r.string(True)
        return api_versions_response(version), False, entry  # always response header v0
    if lo_hi is None or not lo_hi[0] <= version <= lo_hi[1]:
        entry["unanswered"] = True
        return b"", None, entry
    if api_key == 3:
        topics = metadata_request_topics(r, version, flexible)
        entry["topics"] = topics
        with state.lock:
            state.topics.update(topics or [])
            answer = sorted(state.topics) if topics is None else topics
        return metadata_response(state, version, flexible, answer), flexible, entry
    if api_key == 0:
        return produce(state, r, version, flexible, entry), flexible, entry
    return init_producer_id_response(state, flexible), flexible, entry


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        state = self.server.state
        while True:
            size = recv_exact(self.request, 4)
            if size is None:
                return
            frame = recv_exact(self.request, struct.unpack(">i", size)[0])
            if frame is None:
                return
            body, flexible_header, entry = handle(state, frame)
            with state.lock:
                state.seq += 1
                file = f"{state.seq:04d}-{entry['api']}-v{entry['version']}.bin"
                with open(os.path.join(state.out, file), "wb") as f:
                    f.write(frame)
                entry["file"] = file
                with open(os.path.join(state.out, "frames.jsonl"), "a") as f:
                    f.write(json.dumps(entry) + "\n")
            if flexible_header is None:
                return  # an API this fake cannot answer: close, as Kafka does
            if body is None:
                continue  # acks=0 produce
            header = struct.pack(">i", entry["correlation_id"]) + (b"\x00" if flexible_header else b"")
            self.request.sendall(struct.pack(">i", len(header) + len(body)) + header + body)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--port-file")
    p.add_argument("--partitions", type=int, default=1)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    state = State(args)
    with Server(("127.0.0.1", args.port), Handler) as server:
        server.state = state
        state.port = server.server_address[1]
        if args.port_file:
            tmp = args.port_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(str(state.port))
            os.replace(tmp, args.port_file)
        print(f"fake broker on 127.0.0.1:{state.port}, frames to {args.out}", file=sys.stderr, flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
