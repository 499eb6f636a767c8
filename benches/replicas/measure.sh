#!/usr/bin/env bash
# Throughput and latency of tools/call through nginx, one replica against two: the shipped
# deployment (deploy/run.sh, Redis as the session store) driven by the load generator.
#
#   benches/replicas/measure.sh [SECONDS]          # default 5 s per figure, 3 runs each
#
# Prints a Markdown table (median of the runs) for BENCHMARKS.md. Each figure loads the
# balancer's URL with `cargo bench --bench load -- run`: legacy (initialize per client, then
# `add` on its session, which round robin sends to every replica) and modern (stateless
# 2026-07-28), at 16 and 64 clients. On a machine with few cores the load generator, nginx,
# Redis and the replicas share them: read the two columns against each other, not as
# absolute capacity.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
runs=${BENCH_RUNS:-3}

cargo build --release --features redis --example hello >&2
cargo bench --bench load --no-run >&2
bin=target/release/examples/hello

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT

for replicas in 1 2; do
    port=$(free_port)
    rundir=$(mktemp -d)
    log=$rundir/run.log
    deploy/run.sh --replicas "$replicas" --port "$port" --rundir "$rundir" --bin "$bin" \
        >"$log" 2>&1 &
    deploy=$!
    for _ in $(seq 100); do
        grep -q '^ready ' "$log" && break
        sleep 0.1
    done
    url=$(sed -n 's/^ready //p' "$log")
    [[ -n $url ]] || { cat "$log" >&2; exit 1; }
    for run in $(seq "$runs"); do
        for mode in legacy modern; do
            for c in 16 64; do
                line=$(cargo bench --bench load -q -- run --url "$url" --mode "$mode" \
                    --concurrency "$c" --duration "$seconds" --warmup 1 --json 2>/dev/null)
                echo "$replicas $mode $c $line" >>"$results"
                echo "replicas=$replicas run=$run $mode c=$c $line" >&2
            done
        done
    done
    kill -TERM "$deploy"
    wait "$deploy" || true
    rm -rf "$rundir"
done

python3 - "$results" <<'EOF'
import json, sys, statistics
rows = {}
for line in open(sys.argv[1]):
    replicas, mode, c, report = line.split(" ", 3)
    rows.setdefault((mode, int(c)), {}).setdefault(int(replicas), []).append(json.loads(report))
print("| mode | clients | 1 replica req/s | 2 replicas req/s | 1 replica p99 | 2 replicas p99 | errors |")
print("|---|---|---|---|---|---|---|")
for (mode, c), by in sorted(rows.items()):
    med = lambda n, k: statistics.median(r[k] for r in by[n])
    errors = sum(r["errors"] for n in by for r in by[n])
    print(f"| {mode} | {c} | {med(1,'rps'):.0f} | {med(2,'rps'):.0f} | "
          f"{med(1,'p99_us')/1000:.2f} ms | {med(2,'p99_us')/1000:.2f} ms | {errors} |")
EOF
