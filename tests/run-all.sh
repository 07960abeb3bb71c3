#!/usr/bin/env bash
# The project's test command: build, xunit (tests/Unit), PowerShell syntax check (tools/pssyntax), Pester (tests/Pester)
# in pwsh 7.6.9. Prints the summed xunit + Pester totals alone on the last line: "N passed, N failed[, N skipped]"
# (the syntax check's counts have their own line). Exits non-zero when anything failed, the syntax check included,
# or when no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RESULTS="$ROOT/TestResults/run-all"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

passed=0
failed=0
skipped=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + ${3:-0})); }
summary() {
  if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
}

echo "== build (dotnet build -c Release)"
if ! dotnet build "$ROOT/JupyterKernels.sln" -c Release -nologo -v minimal; then
  echo "BUILD FAILED"
  add 0 1
  summary
  exit 1
fi

echo "== xunit (tests/Unit)"
trx="$RESULTS/unit.trx"
dotnet test "$ROOT/tests/Unit" -c Release --no-build -nologo \
  --logger "trx;LogFileName=$trx" --logger "console;verbosity=normal" \
  --blame-hang-timeout 5m
test_rc=$?
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  u_passed=$(get passed); u_failed=$(get failed); u_error=$(get error); u_timeout=$(get timeout); u_aborted=$(get aborted)
  u_total=$(get total); u_executed=$(get executed)
  u_failed=$(( ${u_failed:-0} + ${u_error:-0} + ${u_timeout:-0} + ${u_aborted:-0} ))
  u_skipped=$(( ${u_total:-0} - ${u_executed:-0} ))
  [ "$u_skipped" -lt 0 ] && u_skipped=0
  echo "xunit: ${u_passed:-0} passed, $u_failed failed, $u_skipped skipped (dotnet test exit $test_rc)"
  add "${u_passed:-0}" "$u_failed" "$u_skipped"
  if [ "$test_rc" -ne 0 ] && [ "$u_failed" -eq 0 ]; then
    echo "dotnet test exited $test_rc without failed tests in the TRX (crash or hang?): counted as one failure"
    add 0 1
  fi
else
  echo "xunit: no TRX file (dotnet test exit $test_rc): counted as one failure"
  add 0 1
fi

echo "== PowerShell syntax check (tools/pssyntax)"
# Parse checks, not tests: their counts get their own line and stay out of the totals, but a failure fails the run.
syntax_failed=0
if command -v node >/dev/null 2>&1; then
  if [ ! -d "$ROOT/tools/pssyntax/node_modules/web-tree-sitter" ]; then
    (cd "$ROOT/tools/pssyntax" && npm ci --ignore-scripts --no-audit --no-fund) || echo "npm ci failed"
  fi
  syntax_out="$RESULTS/pssyntax.txt"
  node "$ROOT/tools/pssyntax/check.js" "$ROOT" > "$syntax_out" 2>&1
  grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$syntax_out"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$syntax_out" | tail -1)
  if [ -n "$line" ]; then
    s_passed=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    s_failed=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
    echo "syntax check: $s_passed files parsed, $s_failed failed (not counted as tests)"
    [ "$s_failed" -gt 0 ] && syntax_failed=1
  else
    echo "syntax check: produced no totals"
    syntax_failed=1
  fi
else
  echo "syntax check: node not found"
  syntax_failed=1
fi

echo "== Pester (tests/Pester, in pwsh from .config/dotnet-tools.json, Pester from tools/PesterModule)"
# pwsh is a local .NET tool (dotnet tool restore), Pester a pinned NuGet package laid out in out/psmodules: both come
# from NuGet through the project's own files. Missing either one is a failure, never a skip.
pester_out="$RESULTS/pester.txt"
if ! dotnet tool restore; then
  echo "pwsh: dotnet tool restore failed: counted as one failure"
  add 0 1
elif ! dotnet pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()'; then
  echo "pwsh: 'dotnet pwsh' does not run: counted as one failure"
  add 0 1
elif ! dotnet build "$ROOT/tools/PesterModule" -c Release -nologo -v minimal; then
  echo "Pester: restore of tools/PesterModule failed: counted as one failure"
  add 0 1
else
  export PSModulePath="$ROOT/out/psmodules${PSModulePath:+:$PSModulePath}"
  dotnet pwsh -NoProfile -NonInteractive -File "$ROOT/tests/Pester/Invoke-PesterSuite.ps1" \
    -ResultDirectory "$RESULTS/pester" 2>&1 | tee "$pester_out"
  counts=$(grep '^PESTER_COUNTS' "$pester_out" | tail -1)
  case "$counts" in
    PESTER_COUNTS*) read -r _ p f s <<<"$counts"; echo "pester: $p passed, $f failed, $s skipped"; add "$p" "$f" "$s" ;;
    *) echo "Pester produced no counts: counted as one failure"; add 0 1 ;;
  esac
fi

echo "== Windows lane (tests/Windows/run-wine-lane.sh, under Wine)"
# The module as built, imported in PowerShell hosted in a win-x64 program, and the core's Win32 paths (launch, output
# capture, interrupt event, liveness, store location, rename retry, killed-start recovery) under Debian's wine64.
# Missing Wine is a failure, never a skip.
wine_out="$RESULTS/wine-lane.txt"
timeout 900 bash "$ROOT/tests/Windows/run-wine-lane.sh" 2>&1 | tee "$wine_out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$wine_out" | tail -1)
if [ -n "$line" ]; then
  w_passed=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/'); w_failed=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
  echo "wine lane: $w_passed passed, $w_failed failed"
  add "$w_passed" "$w_failed"
else
  echo "wine lane: produced no totals (timed out?): counted as one failure"
  add 0 1
fi

# The end of a CI log is often all that is kept of it: name what failed right above the totals.
python3 "$ROOT/tests/list-failures.py" "$trx" "$RESULTS/pester" || echo "(could not list the failed tests)"

echo "== totals"
summary
if [ "$failed" -gt 0 ] || [ "$syntax_failed" -ne 0 ] || [ $((passed + failed)) -eq 0 ]; then exit 1; fi
exit 0
