#!/usr/bin/env bash
# The one command: builds the benchmark (Release) and runs every benchmark, or only the named ones.
#   bench/run.sh                 # everything; writes bench/results/latest.{json,md}
#   bench/run.sh roundtrip zmtp  # only those; writes bench/results/partial-roundtrip-zmtp.{json,md}
#   bench/run.sh --quick         # smoke run with small counts (numbers not meaningful)
#   bench/run.sh --list          # names
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ ! -x /usr/bin/python3 ]] || ! /usr/bin/python3 -c 'import ipykernel, jupyter_client, zmq' 2>/dev/null; then
  echo "bench: /usr/bin/python3 with ipykernel, jupyter_client and pyzmq is required (the reference side)." >&2
  exit 2
fi
dotnet build "$here/JupyterKernels.Bench.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
exec dotnet "$here/bin/Release/net10.0/JupyterKernels.Bench.dll" "$@"
