#!/usr/bin/env bash
# The Windows lane, under Wine (Debian's wine64): publishes the test kernel for win-x64 and tests/Windows/CoreLane (the
# module's core in a self-contained win-x64 program) and runs the kernel lifecycle there: kernelspecs, a failed start
# and its reason, the Store stand-in's exit code, the store under LOCALAPPDATA, start, execute, interrupt through the
# interrupt event, stop, sync. Then the same through PowerShell: it publishes tests/Windows/PwshHost
# (System.Management.Automation from the PowerShell .NET tool's win folder on Microsoft.WindowsDesktop.App, as pwsh.exe
# runs: pwsh.exe's console host does not run under Wine) and runs tests/Windows/WineLane.ps1 against the module as
# built (out/JupyterKernels). JK_WINE_PWSH=0 leaves the PowerShell part out. Each driver prints "ok N - name" /
# "not ok N - name" lines; the last line here is "N passed, N failed". Every step has a timeout: a hung Wine fails the
# lane, it never hangs CI.
# Needs: out/JupyterKernels built; NuGet (the win-x64 runtime packs: Microsoft.NETCore.App and
# Microsoft.WindowsDesktop.App); wine64.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
WINE64=${WINE64:-/usr/lib/wine/wine64}
PS_VERSION=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$ROOT/.config/dotnet-tools.json" | head -1)
NUGET=${NUGET_PACKAGES:-$HOME/.nuget/packages}
PSWIN="$NUGET/powershell/$PS_VERSION/tools/net10.0/any/win"
LANE=$(mktemp -d /tmp/jk-wine-lane.XXXXXX)
# mscoree stays enabled: Wine's loader goes through it for every .NET PE file the runtime maps with LoadLibrary.
export WINEPREFIX="$LANE/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="winemenubuilder.exe,mshtml=d"
export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off DOTNET_CLI_TELEMETRY_OPTOUT=1

fail() { echo "wine lane: $*"; echo "0 passed, 1 failed"; cleanup; exit 1; }
cleanup() {
  # Only this lane's Wine: the wineserver of its own prefix.
  [ -x "${WINE64%/*}/wineserver" ] && WINEPREFIX="$LANE/prefix" timeout 20 "${WINE64%/*}/wineserver" -k 2>/dev/null
  [ -n "${KEEP_WINE_LANE:-}" ] || rm -rf "$LANE"
}

[ -x "$WINE64" ] || fail "$WINE64 not found (apt-get install wine64)"
[ -f "$ROOT/out/JupyterKernels/JupyterKernels.psd1" ] || fail "out/JupyterKernels is not built"
[ -f "$PSWIN/System.Management.Automation.dll" ] || { (cd "$ROOT" && timeout 300 dotnet tool restore >/dev/null); }
[ -f "$PSWIN/System.Management.Automation.dll" ] || fail "PowerShell $PS_VERSION's win folder not found under $NUGET"

echo "wine lane: publishing the test kernel and the core driver for win-x64 in $LANE"
timeout 600 dotnet publish "$ROOT/tests/TestKernel" -c Release -r win-x64 --self-contained -o "$LANE/testkernel" -nologo -v quiet -clp:ErrorsOnly \
  || fail "publishing tests/TestKernel for win-x64 failed"
timeout 600 dotnet publish "$ROOT/tests/Windows/CoreLane" -c Release -o "$LANE/core" -nologo -v quiet -clp:ErrorsOnly \
  || fail "publishing tests/Windows/CoreLane failed"
if [ "${JK_WINE_PWSH:-1}" = 1 ]; then
  timeout 600 dotnet publish "$ROOT/tests/Windows/PwshHost" -c Release -o "$LANE/host" -nologo -v quiet -clp:ErrorsOnly -p:PowerShellVersion="$PS_VERSION" \
    || fail "publishing tests/Windows/PwshHost failed"
  # PowerShell's own files beside the host. The win folder's top-level System.Management.dll is the stub that throws
  # PlatformNotSupportedException: kept (WMI does not work under Wine).
  cp -n "$PSWIN"/*.dll "$LANE/host/" && cp -r "$PSWIN/Modules" "$LANE/host/" \
    && cp -f "$PSWIN"/runtimes/win-x64/native/*.dll "$PSWIN"/runtimes/win-x64/lib/*/*.dll "$LANE/host/" \
    || fail "copying PowerShell's win folder failed"
fi

winpath() { echo "Z:$(echo "$1" | sed 's|/|\\|g')"; }
echo "wine lane: starting Wine (prefix $WINEPREFIX)"
timeout 240 "$WINE64" cmd.exe /c echo wine-ready > "$LANE/boot.txt" 2>&1 || fail "Wine did not start within 240 s: $(tail -3 "$LANE/boot.txt")"

p=0; f=0
# run NAME TIMEOUT EXE ARGS...: one driver; its ok / not ok lines counted; a timeout or a crash without results fails.
run() {
  local name=$1 limit=$2; shift 2
  local out="$LANE/$name.txt"
  timeout "$limit" "$WINE64" "$@" > "$out" 2>&1
  local rc=$?
  tr -d '\r' < "$out" | grep -v -E '^[0-9a-f]{4}:(fixme|err|warn):|^wine: Read access denied for device' | sed "s/^/[$name] /"
  local dp dn
  dp=$(tr -d '\r' < "$out" | grep -c -E '^ok [0-9]+ '); dn=$(tr -d '\r' < "$out" | grep -c -E '^not ok [0-9]+ ')
  if [ "$rc" -eq 124 ]; then echo "wine lane: $name timed out after $limit s"; dn=$((dn + 1)); fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$dn" -eq 0 ]; then echo "wine lane: $name exited $rc"; dn=$((dn + 1)); fi
  if [ "$dp" -eq 0 ] && [ "$dn" -eq 0 ]; then echo "wine lane: $name reported nothing"; dn=1; fi
  p=$((p + dp)); f=$((f + dn))
}
run core "${WINE_LANE_TIMEOUT:-240}" "$(winpath "$LANE/core/CoreLane.exe")" "$(winpath "$LANE/testkernel/JupyterKernels.TestKernel.exe")" "$(winpath "$LANE/work-core")"
if [ "${JK_WINE_PWSH:-1}" = 1 ]; then
  # A gen0 budget large enough that the run needs (almost) no garbage collection: under Wine 8.0, the finalizer that
  # frees a dynamic method's code (PowerShell compiles its scripts to them) crashes the runtime now and then
  # ("Internal CLR error", DynamicResolver+DestroyScout.Finalize) while other threads grow their unwind tables.
  DOTNET_GCgen0size=${JK_WINE_PWSH_GEN0:-0x30000000} \
  run pwsh "${WINE_LANE_TIMEOUT:-240}" "$(winpath "$LANE/host/PwshHost.exe")" "$(winpath "$ROOT/tests/Windows/WineLane.ps1")" \
    "$(winpath "$ROOT/out/JupyterKernels/JupyterKernels.psd1")" "$(winpath "$LANE/testkernel/JupyterKernels.TestKernel.exe")" "$(winpath "$LANE/work-pwsh")"
fi
cleanup
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
