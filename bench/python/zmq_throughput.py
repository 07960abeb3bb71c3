"""libzmq (through pyzmq) DEALER -> ROUTER throughput on loopback TCP, both ends pyzmq in this process.

The sender runs in a thread (pyzmq releases the GIL in send/recv; libzmq does the I/O on its own thread), the
receiver in the main thread. Time runs from just before the first send to the last receive.
Small messages use copy=True (fastest for small frames in pyzmq); large ones copy=False, as pyzmq recommends.
"""
import threading
import time

import zmq

from common import serve


def throughput(size, count, timeout=120):
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    dealer = ctx.socket(zmq.DEALER)
    try:
        router.linger = dealer.linger = 0
        port = router.bind_to_random_port("tcp://127.0.0.1")
        dealer.connect(f"tcp://127.0.0.1:{port}")
        payload = b"x" * size
        copy = size < 65536
        # Handshake first so connection setup is not timed.
        dealer.send(b"hello")
        router.recv_multipart()
        router.rcvtimeo = int(timeout * 1000)
        errors = []

        def send():
            try:
                for _ in range(count):
                    dealer.send(payload, copy=copy)
            except Exception as e:
                errors.append(e)

        t0 = time.perf_counter()
        sender = threading.Thread(target=send)
        sender.start()
        received = 0
        nbytes = 0
        for _ in range(count):
            ident, frame = router.recv_multipart(copy=copy)
            nbytes += len(frame) if copy else len(frame.buffer)
            received += 1
        seconds = time.perf_counter() - t0
        sender.join()
        if errors:
            raise errors[0]
        return {"seconds": seconds, "received": received, "bytes": nbytes}
    finally:
        dealer.close(0)
        router.close(0)
        ctx.term()


if __name__ == "__main__":
    serve({"throughput": throughput})
