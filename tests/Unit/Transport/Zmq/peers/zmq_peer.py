#!/usr/bin/env python3
"""libzmq (pyzmq) peer for the managed ZMTP interop tests.

Usage: zmq_peer.py MODE ENDPOINT [ARG]
Bind modes print "READY <port>" once bound, then serve until killed or stdin closes.
Client modes run a fixed scenario against the managed socket and print "OK" (exit 0) or "FAIL ..." (exit 1).
Every blocking call has a timeout so the script can never hang a test run.
"""
import sys
import threading
import time
import os

import zmq

SIZES = [0, 1, 255, 256, 65536, 1024 * 1024]


def payload(size, seed):
    return bytes((i * 31 + seed) & 0xFF for i in range(size)) if size < 4096 else (bytes(range(256)) * (size // 256 + 1))[:size]


def bound_port(sock, endpoint):
    sock.bind(endpoint)
    port = sock.getsockopt(zmq.LAST_ENDPOINT).decode().rsplit(":", 1)[1]
    print(f"READY {port}", flush=True)


def exit_when_stdin_closes():
    # The test closes our stdin (or kills us); either way we go away.
    def watch():
        try:
            sys.stdin.read()
        finally:
            os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def main():
    mode, endpoint = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    ctx = zmq.Context()

    if mode in ("router-echo", "router-echo-id", "rep-echo", "router-echo-hb"):
        exit_when_stdin_closes()
        s = ctx.socket(zmq.REP if mode == "rep-echo" else zmq.ROUTER)
        s.linger = 0
        if mode == "router-echo-hb":
            # libzmq sends PING every 100 ms and drops the connection if nothing comes back within 300 ms.
            s.heartbeat_ivl = 100
            s.heartbeat_timeout = 300
            s.heartbeat_ttl = 1000
            mon = s.get_monitor_socket()

            def report():
                from zmq.utils.monitor import recv_monitor_message
                while True:
                    ev = recv_monitor_message(mon)
                    print(f"monitor {ev['event']:#x} {ev['value']:#x}", file=sys.stderr, flush=True)
            threading.Thread(target=report, daemon=True).start()
        if mode != "rep-echo":
            s.router_handover = 1
        bound_port(s, endpoint)
        while True:
            msg = s.recv_multipart()
            if mode == "router-echo-id":
                # Echo with the routing id also as the first body frame, so the client can see it.
                msg = [msg[0], msg[0]] + msg[1:]
            s.send_multipart(msg)

    if mode in ("pub", "xpub"):
        exit_when_stdin_closes()
        s = ctx.socket(zmq.XPUB if mode == "xpub" else zmq.PUB)
        s.linger = 0
        bound_port(s, endpoint)
        n = 0
        while True:
            if mode == "xpub":
                while s.poll(0):
                    sub = s.recv()
                    print("SUB " + sub.hex(), flush=True)
            s.send_multipart([b"topic", b"payload-%d" % n])
            s.send_multipart([b"other", b"not-for-you"])
            n += 1
            time.sleep(0.02)

    if mode == "dealer-client":
        s = ctx.socket(zmq.DEALER)
        s.linger = 0
        s.rcvtimeo = 10000
        if arg:
            s.identity = arg.encode()
        s.connect(endpoint)
        for i, size in enumerate(SIZES):
            msg = [b"part-a", payload(size, i), b"", b"tail"]
            s.send_multipart(msg)
            back = s.recv_multipart()
            if back != msg:
                print(f"FAIL size {size}: got {[len(f) for f in back]}", flush=True)
                return 1
        print("OK", flush=True)
        return 0

    if mode == "req-client":
        s = ctx.socket(zmq.REQ)
        s.linger = 0
        s.rcvtimeo = 10000
        s.connect(endpoint)
        for i, size in enumerate(SIZES):
            msg = [b"req-%d" % i, payload(size, i)]
            s.send_multipart(msg)
            back = s.recv_multipart()
            if back != msg:
                print(f"FAIL req {i}: got {[len(f) for f in back]}", flush=True)
                return 1
        print("OK", flush=True)
        return 0

    if mode == "sub-client":
        s = ctx.socket(zmq.SUB)
        s.linger = 0
        s.rcvtimeo = 10000
        topic = (arg or "").encode()
        s.setsockopt(zmq.SUBSCRIBE, topic)
        s.connect(endpoint)
        for _ in range(5):
            msg = s.recv_multipart()
            if not msg[0].startswith(topic):
                print(f"FAIL got topic {msg[0]!r}", flush=True)
                return 1
        print("OK", flush=True)
        return 0

    print(f"FAIL unknown mode {mode}", flush=True)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except zmq.Again:
        print("FAIL timeout", flush=True)
        sys.exit(1)
