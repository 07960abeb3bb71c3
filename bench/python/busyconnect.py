"""Connect to a kernel whose main shell is busy and get a subshell's answer, by hand with jupyter_client, timed inside
Python: a new BlockingKernelClient from the connection file, start_channels, create_subshell_request on control,
execute_request with header.subshell_id on shell, until its execute_reply. Untimed after each sample: the subshell is
deleted and the channels are stopped.
"""
import time

from common import serve


def _wait(get, msg_id, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        msg = get(timeout=max(0.01, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def subshell_by_hand(connection_file, warmup=3, n=20, code="print x"):
    from jupyter_client import BlockingKernelClient
    durations = []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        kc = BlockingKernelClient()
        kc.load_connection_file(connection_file)
        kc.start_channels()
        create = kc.session.msg("create_subshell_request", {})
        kc.control_channel.send(create)
        subshell_id = _wait(kc.get_control_msg, create["header"]["msg_id"])["content"]["subshell_id"]
        execute = kc.session.msg("execute_request", {"code": code, "silent": False, "store_history": False,
                                                     "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        execute["header"]["subshell_id"] = subshell_id
        kc.shell_channel.send(execute)
        reply = _wait(kc.get_shell_msg, execute["header"]["msg_id"])
        elapsed = time.perf_counter() - t0
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"subshell execute failed: {reply['content']}")
        delete = kc.session.msg("delete_subshell_request", {"subshell_id": subshell_id})
        kc.control_channel.send(delete)
        _wait(kc.get_control_msg, delete["header"]["msg_id"])
        kc.stop_channels()
        if i >= warmup:
            durations.append(elapsed)
    return {"seconds": durations}


if __name__ == "__main__":
    serve({"subshell_by_hand": subshell_by_hand})
