"""Prints the versions of the Python reference stack as one JSON object."""
import json
import platform
import sys

info = {"python": platform.python_version(), "python_executable": sys.executable}
for mod, key in [("ipykernel", "ipykernel"), ("zmq", "pyzmq"), ("jupyter_client", "jupyter_client"),
                 ("jupyter_server", "jupyter_server"), ("tornado", "tornado"), ("jupyter_core", "jupyter_core")]:
    try:
        m = __import__(mod)
        info[key] = getattr(m, "__version__", None) or getattr(m, "version", "?")
        if mod == "zmq":
            info["libzmq"] = m.zmq_version()
    except Exception as e:  # missing module: say so
        info[key] = f"missing ({type(e).__name__})"
print(json.dumps(info))
