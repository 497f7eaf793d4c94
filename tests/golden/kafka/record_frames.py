#!/usr/bin/python3
"""Records the Kafka frames a real client exchanges with a real (or mock) broker.

Listens on 127.0.0.1:LISTEN_PORT, relays every connection to UPSTREAM (host:port), and writes
the first request of every (api key, version) to OUT_DIR/PREFIX-<key>-<name>-v<version>-request.bin
(header + body, without the size prefix) and its response to ...-response.bin. Ports in
Metadata and FindCoordinator responses are rewritten to LISTEN_PORT so that the client keeps
talking through the recorder. Stdlib only; stops after IDLE seconds without traffic.

  record_frames.py LISTEN_PORT UPSTREAM OUT_DIR PREFIX [IDLE]
"""

import pathlib
import socket
import struct
import sys
import threading
import time

NAMES = {0: "produce", 1: "fetch", 2: "list_offsets", 3: "metadata", 8: "offset_commit",
         9: "offset_fetch", 10: "find_coordinator", 11: "join_group", 12: "heartbeat",
         13: "leave_group", 14: "sync_group", 15: "describe_groups", 16: "list_groups",
         18: "api_versions", 19: "create_topics", 20: "delete_topics", 21: "delete_records",
         22: "init_producer_id", 23: "offset_for_leader_epoch", 24: "add_partitions_to_txn",
         25: "add_offsets_to_txn", 26: "end_txn", 28: "txn_offset_commit", 32: "describe_configs",
         33: "alter_configs", 37: "create_partitions", 42: "delete_groups",
         44: "incremental_alter_configs", 60: "describe_cluster"}
FIRST_FLEXIBLE = {0: 9, 1: 12, 2: 6, 3: 9, 8: 8, 9: 6, 10: 3, 11: 6, 12: 4, 13: 4, 14: 4, 15: 5,
                  16: 3, 18: 3, 19: 5, 20: 4, 21: 2, 22: 2, 23: 4, 32: 4, 33: 2, 37: 2, 42: 2,
                  44: 1, 60: 0, 24: 3, 25: 3, 26: 3, 28: 3}

last_traffic = time.monotonic()
seen = set()
lock = threading.Lock()


def read_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_frame(sock):
    size = struct.unpack(">i", read_exact(sock, 4))[0]
    return read_exact(sock, size)


def uvarint(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def skip_string(data, at, flexible):
    if flexible:
        length, at = uvarint(data, at)
        return at + max(length - 1, 0)
    length = struct.unpack_from(">h", data, at)[0]
    return at + 2 + max(length, 0)


def rewrite_ports(key, version, body_at, frame, port):
    """Points broker addresses in Metadata / FindCoordinator responses at the recorder."""
    data = bytearray(frame)
    flexible = version >= FIRST_FLEXIBLE[key]
    at = body_at + (1 if flexible else 0)  # response header v1 has an empty tag section
    if key == 3:
        if version >= 3:
            at += 4
        if flexible:
            count, at = uvarint(data, at)
            count -= 1
        else:
            count = struct.unpack_from(">i", data, at)[0]
            at += 4
        for _ in range(count):
            at += 4
            at = skip_string(data, at, flexible)
            struct.pack_into(">i", data, at, port)
            at += 4
            if version >= 1:
                at = skip_string(data, at, flexible)
            if flexible:
                tags, at = uvarint(data, at)
                assert tags == 0
    elif key == 10 and version <= 3:
        if version >= 1:
            at += 4
        at += 2
        if version >= 1:
            at = skip_string(data, at, flexible)
        at += 4
        at = skip_string(data, at, flexible)
        struct.pack_into(">i", data, at, port)
    return bytes(data)


def relay(client, upstream_address, out_dir, prefix, port):
    global last_traffic
    upstream = socket.create_connection(upstream_address)
    try:
        while True:
            request = read_frame(client)
            last_traffic = time.monotonic()
            key, version, correlation = struct.unpack_from(">hhi", request, 0)
            upstream.sendall(struct.pack(">i", len(request)) + request)
            response = read_frame(upstream)
            if key in (3, 10):
                response = rewrite_ports(key, version, 4, response, port)
            client.sendall(struct.pack(">i", len(response)) + response)
            name = NAMES.get(key, f"key{key}")
            with lock:
                if (key, version) in seen:
                    continue
                seen.add((key, version))
            base = out_dir / f"{prefix}-{key:02d}-{name}-v{version}"
            base.with_name(base.name + "-request.bin").write_bytes(request)
            base.with_name(base.name + "-response.bin").write_bytes(response)
            print(f"recorded {base.name} ({len(request)}/{len(response)} bytes)", flush=True)
    except (EOFError, ConnectionError, OSError):
        pass
    finally:
        client.close()
        upstream.close()


def main():
    port = int(sys.argv[1])
    host, upstream_port = sys.argv[2].rsplit(":", 1)
    out_dir = pathlib.Path(sys.argv[3])
    prefix = sys.argv[4]
    idle = float(sys.argv[5]) if len(sys.argv) > 5 else 20.0
    out_dir.mkdir(parents=True, exist_ok=True)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    server.settimeout(0.5)
    while time.monotonic() - last_traffic < idle:
        try:
            client, _ = server.accept()
        except socket.timeout:
            continue
        threading.Thread(target=relay, args=(client, (host, int(upstream_port)), out_dir, prefix,
                                             port), daemon=True).start()


if __name__ == "__main__":
    main()
