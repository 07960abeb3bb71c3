"""Another Jupyter client of a local kernel, as `jupyter console --existing` is: jupyter_client's BlockingKernelClient
over the kernel's connection file.

    console_client.py CONNECTION_FILE exec CODE [HOLD_SECONDS]

Prints {"event": "started"} once its request is busy on IOPub, then {"status", "stdout"} when the cell ends, then
{"event": "holding"} and keeps its connection open HOLD_SECONDS (default 0) before it disconnects, as a console
user who ran a cell and is reading its output does.
"""
import json
import sys
import time

from jupyter_client import BlockingKernelClient


def main():
    connection_file, verb, code = sys.argv[1:4]
    hold = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    if verb != "exec":
        raise SystemExit("unknown verb " + verb)
    client = BlockingKernelClient(connection_file=connection_file)
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    msg_id = client.execute(code)
    stdout, status, started = "", None, False
    while True:
        msg = client.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "busy" and not started:
            started = True
            print(json.dumps({"event": "started"}), flush=True)
        elif kind == "stream":
            stdout += msg["content"]["text"]
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=30)
    status = reply["content"]["status"]
    print(json.dumps({"status": status, "stdout": stdout}), flush=True)
    print(json.dumps({"event": "holding"}), flush=True)
    time.sleep(hold)
    client.stop_channels()


main()
