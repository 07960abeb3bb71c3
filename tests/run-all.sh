#!/usr/bin/env bash
# The project's test command: build, xunit (tests/Unit), PowerShell syntax check (tools/pssyntax), Pester when pwsh
# is installed. Prints the summed totals alone on the last line: "N passed, N failed[, N skipped]".
# Exits non-zero when anything failed or when no test ran.
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
if command -v node >/dev/null 2>&1; then
  if [ ! -d "$ROOT/tools/pssyntax/node_modules/web-tree-sitter" ]; then
    (cd "$ROOT/tools/pssyntax" && npm ci --ignore-scripts --no-audit --no-fund) || echo "npm ci failed"
  fi
  syntax_out="$RESULTS/pssyntax.txt"
  node "$ROOT/tools/pssyntax/check.js" "$ROOT" | tee "$syntax_out"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$syntax_out" | tail -1)
  if [ -n "$line" ]; then
    s_passed=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    s_failed=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
    add "$s_passed" "$s_failed"
  else
    echo "syntax check produced no totals: counted as one failure"
    add 0 1
  fi
else
  echo "node not found: syntax check counted as one failure"
  add 0 1
fi

echo "== Pester (tests/Pester)"
if command -v pwsh >/dev/null 2>&1; then
  pester_out="$RESULTS/pester.txt"
  pwsh -NoProfile -NonInteractive -Command '
    $ErrorActionPreference = "Stop"
    if (-not (Get-Module -ListAvailable Pester | Where-Object Version -ge ([version]"5.0.0"))) { "PESTER_COUNTS missing"; exit 0 }
    Import-Module Pester -MinimumVersion 5.0.0
    $c = New-PesterConfiguration
    $c.Run.Path = "'"$ROOT"'/tests/Pester"
    $c.Run.PassThru = $true
    $c.Output.Verbosity = "Detailed"
    $c.TestResult.Enabled = $true
    $c.TestResult.OutputPath = "'"$RESULTS"'/pester.xml"
    $r = Invoke-Pester -Configuration $c
    "PESTER_COUNTS {0} {1} {2}" -f $r.PassedCount, ($r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount), $r.SkippedCount
  ' 2>&1 | tee "$pester_out"
  counts=$(grep '^PESTER_COUNTS' "$pester_out" | tail -1)
  case "$counts" in
    "PESTER_COUNTS missing") echo "Pester 5 not installed: Pester tests not run" ;;
    PESTER_COUNTS*) read -r _ p f s <<<"$counts"; add "$p" "$f" "$s" ;;
    *) echo "Pester produced no counts: counted as one failure"; add 0 1 ;;
  esac
else
  echo "pwsh not found: Pester tests not run (they are syntax-checked above)"
fi

echo "== totals"
summary
if [ "$failed" -gt 0 ] || [ $((passed + failed)) -eq 0 ]; then exit 1; fi
exit 0
