"""libzmq (through pyzmq) DEALER -> ROUTER throughput on loopback TCP, both ends pyzmq.

The sender is a separate Python process (multiprocessing "spawn": its own interpreter and libzmq context, so the
two ends never fight over one GIL -- the strongest pyzmq setup); the receiver is this process. After a handshake
("hello" from the sender, "go" back), time runs from sending "go" to the last receive.
Small messages use copy=True (fastest for small frames in pyzmq); 64 KiB ones copy=False, as pyzmq recommends.
"""
import multiprocessing
import time

import zmq

from common import serve


def _sender(port, size, count, copy):
    ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(f"tcp://127.0.0.1:{port}")
    dealer.send(b"hello")
    dealer.recv()  # "go"
    payload = b"x" * size
    for _ in range(count):
        dealer.send(payload, copy=copy)
    dealer.close()  # default linger: flush everything before the context terminates
    ctx.term()


def throughput(size, count, timeout=120):
    copy = size < 65536
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.linger = 0
    router.rcvtimeo = int(timeout * 1000)
    proc = None
    try:
        port = router.bind_to_random_port("tcp://127.0.0.1")
        proc = multiprocessing.get_context("spawn").Process(target=_sender, args=(port, size, count, copy), daemon=True)
        proc.start()
        ident, hello = router.recv_multipart()
        nbytes = 0
        t0 = time.perf_counter()
        router.send_multipart([ident, b"go"])
        for _ in range(count):
            _, frame = router.recv_multipart(copy=copy)
            nbytes += len(frame) if copy else len(frame.buffer)
        seconds = time.perf_counter() - t0
        proc.join(30)
        return {"seconds": seconds, "received": count, "bytes": nbytes, "setup": "sender in a separate process"}
    finally:
        if proc is not None and proc.is_alive():
            proc.kill()
        router.close(0)
        ctx.term()


if __name__ == "__main__":
    serve({"throughput": throughput})
