#!/usr/bin/env bash
# The edit-compile loop, measured: servers of N tools in this framework and in rmcp 3.11.
#
#   benches/compile/measure.sh            # SIZES="10 100 300" FRAMEWORKS="ours rmcp" RUNS=3
#   SIZES="10 100" RUNS=1 benches/compile/measure.sh
#
# For each size and framework: generate the project under $WORK, `cargo fetch` (downloads are
# excluded from every timing), then, each RUNS times and reported as the median of wall-clock
# seconds, debug profile, default CARGO_INCREMENTAL:
#   cold   `cargo build` after `rm -rf target` (every dependency compiled);
#   build  `cargo build` after editing one tool body (edit.py), on a warm target;
#   check  `cargo check` after editing one tool body, after one untimed `cargo check`.
# Then the lines of the macro-expanded crate (`-Zunpretty=expanded`), the source lines, and the
# crates of the dependency tree. Markdown table on stdout, CSV in $WORK/results.csv, progress
# on stderr. Each project has its own target dir; no target dir is shared between frameworks.

set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SIZES="${SIZES:-10 100 300}"
FRAMEWORKS="${FRAMEWORKS:-ours rmcp}"
RUNS="${RUNS:-3}"
# Cold builds take minutes each: their own count (default RUNS).
COLD_RUNS="${COLD_RUNS:-$RUNS}"
WORK="${WORK:-/tmp/compile-bench}"
RUNTIME="${RUNTIME:-$REPO/mcp-runtime}"
PYTHON="${PYTHON:-python3}"

# The measured builds must not see a target dir or flags from the caller's environment.
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR

log() { printf '[compile-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

die() {
    log "error: $*"
    exit 1
}

# median of the arguments (mean of the two middle values for an even count), 2 decimals.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "nan"; exit }
              m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.2f\n", m }'
}

# timed LOGFILE CMD...: run CMD (its output to LOGFILE), print its wall-clock seconds.
timed() {
    local logfile="$1" t0 t1
    shift
    t0="$(date +%s.%N)"
    if ! "$@" >>"$logfile" 2>&1; then
        tail -n 40 "$logfile" >&2
        die "failed: $* (log: $logfile)"
    fi
    t1="$(date +%s.%N)"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# quiet LOGFILE CMD...: run CMD untimed, its output to LOGFILE.
quiet() {
    local logfile="$1"
    shift
    if ! "$@" >>"$logfile" 2>&1; then
        tail -n 40 "$logfile" >&2
        die "failed: $* (log: $logfile)"
    fi
}

# cargo_in ARGS...: cargo ARGS in the current project ($dir), offline, on its lockfile.
cargo_in() { (cd "$dir" && cargo "$@" --locked --offline); }

command -v cargo >/dev/null || die "cargo not found"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ "$COLD_RUNS" =~ ^[1-9][0-9]*$ ]] || die "COLD_RUNS must be a positive integer"
for fw in $FRAMEWORKS; do
    [[ "$fw" == ours || "$fw" == rmcp ]] || die "unknown framework: $fw"
done
for n in $SIZES; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "sizes must be positive integers: $n"
done
mkdir -p "$WORK"

declare -A COLD BUILD CHECK COLD_RUNS BUILD_RUNS CHECK_RUNS SRC EXP CRATES

log "sizes: $SIZES; frameworks: $FRAMEWORKS; runs: $RUNS (cold: $COLD_RUNS); work dir: $WORK"
for n in $SIZES; do
    for fw in $FRAMEWORKS; do
        dir="$WORK/$fw-$n"
        logfile="$WORK/$fw-$n.log"
        key="$fw:$n"
        rm -rf "$dir"
        : >"$logfile"
        export CARGO_TARGET_DIR="$dir/target"
        "$PYTHON" "$HERE/generate.py" --framework "$fw" --tools "$n" --out "$dir" --runtime-path "$RUNTIME"
        # One lockfile per framework, reused at every size: the same dependency versions throughout.
        if [[ -f "$WORK/$fw.Cargo.lock" ]]; then
            cp "$WORK/$fw.Cargo.lock" "$dir/Cargo.lock"
        else
            quiet "$logfile" cargo generate-lockfile --manifest-path "$dir/Cargo.toml"
            cp "$dir/Cargo.lock" "$WORK/$fw.Cargo.lock"
        fi
        log "$fw, $n tools: cargo fetch"
        quiet "$logfile" cargo fetch --locked --manifest-path "$dir/Cargo.toml"

        cold=() build=() check=()
        for ((r = 1; r <= COLD_RUNS; r++)); do
            rm -rf "$dir/target"
            cold+=("$(timed "$logfile" cargo_in build)")
            log "$fw, $n tools: cold build $r/$COLD_RUNS: ${cold[-1]} s"
        done
        for ((r = 1; r <= RUNS; r++)); do
            quiet "$logfile" "$PYTHON" "$HERE/edit.py" "$dir"
            build+=("$(timed "$logfile" cargo_in build)")
            log "$fw, $n tools: incremental build $r/$RUNS: ${build[-1]} s"
        done
        quiet "$logfile" cargo_in check
        for ((r = 1; r <= RUNS; r++)); do
            quiet "$logfile" "$PYTHON" "$HERE/edit.py" "$dir"
            check+=("$(timed "$logfile" cargo_in check)")
            log "$fw, $n tools: incremental check $r/$RUNS: ${check[-1]} s"
        done
        COLD[$key]="$(median "${cold[@]}")"
        BUILD[$key]="$(median "${build[@]}")"
        CHECK[$key]="$(median "${check[@]}")"
        COLD_RUNS[$key]="$(IFS=';' && echo "${cold[*]}")"
        BUILD_RUNS[$key]="$(IFS=';' && echo "${build[*]}")"
        CHECK_RUNS[$key]="$(IFS=';' && echo "${check[*]}")"

        # Source lines and macro-expanded lines of the server crate (untimed, last: the
        # RUSTC_BOOTSTRAP run may rebuild check artifacts whose build scripts watch it).
        SRC[$key]="$(wc -l <"$dir/src/main.rs")"
        log "$fw, $n tools: expanding"
        if ! (cd "$dir" && RUSTC_BOOTSTRAP=1 cargo rustc --locked --offline --profile=check \
            --bin "compile-bench-$fw" -- -Zunpretty=expanded) >"$dir/expanded.rs" 2>>"$logfile"; then
            tail -n 40 "$logfile" >&2
            die "expansion failed (log: $logfile)"
        fi
        EXP[$key]="$(wc -l <"$dir/expanded.rs")"
        # Crates in the dependency tree: distinct packages (normal and build edges, host
        # platform, unified features), the server crate itself excluded.
        CRATES[$key]="$( (cd "$dir" && cargo tree --locked --offline -e normal,build \
            --prefix none --format '{p}') | tail -n +2 | sed -E 's/ \(\*\)$//' | sort -u | wc -l)"
        log "$fw, $n tools: cold ${COLD[$key]} s, build ${BUILD[$key]} s, check ${CHECK[$key]} s," \
            "expanded ${EXP[$key]} lines, ${CRATES[$key]} crates"
    done
done

# Expanded lines per tool: `avg` = expanded lines / N (includes the fixed part: main, the
# handler, the runtime glue); `marginal` = (lines(N) - lines(N0)) / (N - N0) against the
# smallest size N0 (what one more tool costs), empty at N0 itself. Same for source lines.
# shellcheck disable=SC2086 # SIZES is a list: split on purpose.
n0="$(printf '%s\n' $SIZES | sort -n | head -n 1)"
per_tool() { awk -v l="$1" -v n="$2" 'BEGIN { printf "%.1f\n", l / n }'; }
marginal() {
    if [[ "$3" == "$4" ]]; then
        echo ""
    else
        awk -v l="$1" -v l0="$2" -v n="$3" -v n0="$4" 'BEGIN { printf "%.1f\n", (l - l0) / (n - n0) }'
    fi
}

csv="$WORK/results.csv"
{
    echo "framework,tools,cold_build_s,incr_build_s,incr_check_s,cold_build_runs,incr_build_runs,incr_check_runs,source_lines,source_lines_per_tool_marginal,expanded_lines,expanded_lines_per_tool_avg,expanded_lines_per_tool_marginal,crates"
    for n in $SIZES; do
        for fw in $FRAMEWORKS; do
            k="$fw:$n"
            echo "$fw,$n,${COLD[$k]},${BUILD[$k]},${CHECK[$k]},${COLD_RUNS[$k]},${BUILD_RUNS[$k]},${CHECK_RUNS[$k]},${SRC[$k]},$(marginal "${SRC[$k]}" "${SRC[$fw:$n0]}" "$n" "$n0"),${EXP[$k]},$(per_tool "${EXP[$k]}" "$n"),$(marginal "${EXP[$k]}" "${EXP[$fw:$n0]}" "$n" "$n0"),${CRATES[$k]}"
        done
    done
} >"$csv"
log "CSV: $csv"

echo "## Edit-compile loop (debug, wall-clock seconds; incremental: median of $RUNS, cold: median of $COLD_RUNS)"
echo
echo "$(rustc --version), $(nproc) cores, $(uname -sm), $(date -u +%Y-%m-%d)."
echo
echo "| framework | tools | cold build | incr. build (1 tool edited) | incr. check (1 tool edited) | expanded lines | expanded / tool (avg) | expanded / tool (marginal vs $n0) | source / tool (marginal) | crates |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
    for fw in $FRAMEWORKS; do
        k="$fw:$n"
        m="$(marginal "${EXP[$k]}" "${EXP[$fw:$n0]}" "$n" "$n0")"
        s="$(marginal "${SRC[$k]}" "${SRC[$fw:$n0]}" "$n" "$n0")"
        echo "| $fw | $n | ${COLD[$k]} | ${BUILD[$k]} | ${CHECK[$k]} | ${EXP[$k]} | $(per_tool "${EXP[$k]}" "$n") | ${m:-–} | ${s:-–} | ${CRATES[$k]} |"
    done
done
echo
echo "Crates: distinct packages of \`cargo tree -e normal,build\` (host platform), the server crate excluded."
echo "Expanded lines: \`RUSTC_BOOTSTRAP=1 cargo rustc --profile=check -- -Zunpretty=expanded\`; avg = lines / N,"
echo "marginal = (lines(N) - lines($n0)) / (N - $n0)."
