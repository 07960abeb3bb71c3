#!/usr/bin/env bash
# Coverage-guided fuzzing of one parser: tools/fuzz.sh TARGET SECONDS [extra afl-fuzz options]
#   TARGET: zmtp-frames zmtp-greeting wire-format websocket-v1 websocket-legacy connection-file kernelspec
#           providers-file notebook provider-data   (tests/Fuzz/FuzzTargets.cs)
# Needs afl++ (Debian: apt-get install afl++) and NuGet (SharpFuzz 2.3.0, the SharpFuzz.CommandLine 2.3.0 tool).
# Builds tests/Fuzz, instruments the core assembly (JupyterKernels.dll) with sharpfuzz, and runs afl-fuzz on the
# committed corpus tests/Fuzz/corpus/TARGET for SECONDS. Findings go to out/fuzz/TARGET/findings; every crash or hang
# is copied into tests/Fuzz/corpus/TARGET/ (crash-*/hang-*) to be fixed and committed: the xunit suite replays that
# folder (tests/Unit/Fuzz/CorpusReplayTests). New coverage afl found (its queue) is left in the findings folder;
# "tools/fuzz.sh --minimize TARGET" folds it into the corpus with afl-cmin.
# CI never runs this script; it replays the corpora only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
minimize=0
if [[ "${1:-}" == "--minimize" ]]; then minimize=1; shift; fi
target=${1:?usage: tools/fuzz.sh [--minimize] TARGET [SECONDS]}
seconds=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))

corpus=$root/tests/Fuzz/corpus/$target
[[ -d $corpus ]] || { echo "no corpus folder $corpus (unknown target?)" >&2; exit 2; }
tools=$root/out/fuzz/tools
if [[ ! -x $tools/sharpfuzz ]]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

# One plain build, then an instrumented copy per target (two targets can run at once).
# FUZZ_SKIP_BUILD=1 reuses the last build (a long campaign while the source is being edited).
build=$root/out/fuzz/build
[[ ${FUZZ_SKIP_BUILD:-0} == 1 && -f $build/JupyterKernels.Fuzz.dll ]] || dotnet build "$root/tests/Fuzz/JupyterKernels.Fuzz.csproj" -c Release -nologo -v quiet -o "$build" >/dev/null
work=$root/out/fuzz/$target
rm -rf "$work/bin"
mkdir -p "$work"
cp -r "$build" "$work/bin"
"$tools/sharpfuzz" "$work/bin/JupyterKernels.dll" >/dev/null

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export DOTNET_TieredPGO=0 DOTNET_gcServer=0
if (( minimize )); then
  queue=$(ls -d "$work"/findings/default/queue 2>/dev/null || true)
  [[ -n $queue ]] || { echo "no queue in $work/findings: fuzz first" >&2; exit 2; }
  rm -rf "$work/cmin"
  afl-cmin -i "$queue" -o "$work/cmin" -t 10000 -m none -- "$(command -v dotnet)" "$work/bin/JupyterKernels.Fuzz.dll" "$target"
  # afl links the corpus's own files into its queue: one already in the corpus is kept under its name.
  for f in "$work/cmin"/*; do
    dest=$corpus/q-$(sha1sum "$f" | cut -c1-12)
    cmp -s "$f" "$dest" 2>/dev/null && continue
    for kept in "$corpus"/*; do cmp -s "$f" "$kept" && continue 2; done
    cp "$f" "$dest"
  done
  exit 0
fi

# A finding of an earlier run stays in the findings folder for inspection; every run starts from the corpus.
rm -rf "$work/findings"
start=$(date +%s)
/usr/bin/time -f "%U %S" -o "$work/cpu.txt" afl-fuzz -i "$corpus" -o "$work/findings" -t 10000 -m none -V "$seconds" "$@" -- \
  dotnet "$work/bin/JupyterKernels.Fuzz.dll" "$target" >"$work/afl.log" 2>&1 || { tail -40 "$work/afl.log" >&2; exit 1; }
end=$(date +%s)

stats=$work/findings/default/fuzzer_stats
found=0
for kind in crashes hangs; do
  for f in "$work/findings/default/$kind"/id:*; do
    [[ -e $f ]] || continue
    name=${kind%es}; name=${name%s}
    cp "$f" "$corpus/$name-$(sha1sum "$f" | cut -c1-12)"
    found=$((found + 1))
  done
done
read -r cpu_user cpu_sys <"$work/cpu.txt"
echo "target $target: $((end - start)) s wall, CPU ${cpu_user} s user + ${cpu_sys} s system (afl-fuzz and the dotnet it runs), load $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E '^(execs_done|execs_per_sec|corpus_count|bitmap_cvg|edges_found|total_edges|saved_crashes|saved_hangs|run_time|cpu_ms|stability)' "$stats" 2>/dev/null || true
echo "findings copied into $corpus: $found"
