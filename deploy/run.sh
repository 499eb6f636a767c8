#!/usr/bin/env bash
# Runs a multi-replica deployment of an MCP server on this machine: one redis-server, N
# replicas of the server sharing it, and nginx balancing round robin in front of them.
# See `deploy/run.sh --help` and the README, "Running many replicas".

set -euo pipefail
# A shell that starts this script in the background (`deploy/run.sh &` in another script)
# starts it with SIGINT ignored, and bash cannot trap a signal ignored on entry: start again
# with SIGINT at its default, where `env` can (GNU coreutils 8.31 and later).
if [[ -z ${RUN_SH_SIGNALS_RESET:-} ]] && env --default-signal=INT true 2>/dev/null; then
    RUN_SH_SIGNALS_RESET=1 exec env --default-signal=INT "$BASH" "$0" "$@"
fi
unset RUN_SH_SIGNALS_RESET
# `&` in ${var//pattern/replacement} is the text matched in bash 5.2; here it is just `&`.
shopt -u patsub_replacement 2>/dev/null || true

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

usage() {
    cat <<EOF
Usage: deploy/run.sh [OPTIONS] [-- SERVER_FLAGS...]

Starts redis-server, N replicas of an MCP server using it as their session store, and nginx
balancing round robin across them. Stays in the foreground; Ctrl-C or SIGTERM stops
everything. Prints \`ready URL\` once nginx answers.

Options:
  --replicas N      how many replicas (default 3)
  --port P          the port nginx listens on (default 8080)
  --bind ADDR       the address nginx listens on (default 127.0.0.1)
  --host NAME       a host name clients use to reach nginx, allowed by every replica's
                    Host check besides the loopback names (repeatable)
  --example NAME    build and run this example: everything (default), notebook, ...
                    (cargo build --release --features redis --example NAME)
  --bin PATH        run this server binary instead of building an example; it must be
                    built with Redis support (feature \`redis\`)
  --redis-port P    the port of redis-server (default: a free one)
  --rundir DIR      where the generated nginx.conf, logs, pid and temp files go
                    (default: a new directory under \${TMPDIR:-/tmp}; kept after exit)
  -h, --help        this text

Flags after \`--\` go to every replica (see \`SERVER --help\`), e.g.
  deploy/run.sh -- --session-idle 600 --allow-origin https://app.example
and so do MCP_* environment variables (MCP_STATE_KEY, MCP_SESSION_IDLE, ...) and RUST_LOG.
Each replica gets --http 127.0.0.1:<a free port>, --store redis://127.0.0.1:<redis port>/ and
--allow-host localhost,127.0.0.1,::1 plus every --host.
EOF
}

die() {
    echo "run.sh: $*" >&2
    exit 2
}

replicas=3
port=8080
bind=127.0.0.1
example=everything
bin=
redis_port=
rundir=
hosts=()
server_args=()

need_value() {
    [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
    case $1 in
        --replicas) need_value "$@"; replicas=$2; shift 2 ;;
        --port) need_value "$@"; port=$2; shift 2 ;;
        --bind) need_value "$@"; bind=$2; shift 2 ;;
        --host) need_value "$@"; hosts+=("$2"); shift 2 ;;
        --example) need_value "$@"; example=$2; shift 2 ;;
        --bin) need_value "$@"; bin=$2; shift 2 ;;
        --redis-port) need_value "$@"; redis_port=$2; shift 2 ;;
        --rundir) need_value "$@"; rundir=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        --) shift; server_args=("$@"); break ;;
        *) die "unknown argument \`$1\` (see --help)" ;;
    esac
done

is_port() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535)); }
if ! [[ $replicas =~ ^[0-9]+$ ]] || ((10#$replicas < 1)); then
    die "--replicas must be a whole number, 1 or more"
fi
replicas=$((10#$replicas))
is_port "$port" || die "--port must be a port number"
[[ -z $redis_port ]] || is_port "$redis_port" || die "--redis-port must be a port number"

# --- The programs ------------------------------------------------------------------------

find_program() { # NAME [FALLBACK_PATH...]
    local name=$1 path
    shift
    if path=$(command -v "$name" 2>/dev/null); then
        echo "$path"
        return 0
    fi
    for path in "$@"; do
        if [[ -x $path ]]; then
            echo "$path"
            return 0
        fi
    done
    return 1
}

redis_server=$(find_program redis-server /usr/bin/redis-server /usr/local/bin/redis-server) ||
    die "redis-server not found; on Debian or Ubuntu: apt-get install redis-server"
nginx=$(find_program nginx /usr/sbin/nginx /usr/local/sbin/nginx /usr/local/nginx/sbin/nginx) ||
    die "nginx not found; on Debian or Ubuntu: apt-get install nginx (or nginx-light on Debian 12)"
command -v curl >/dev/null || die "curl not found; on Debian or Ubuntu: apt-get install curl"

if [[ -z $bin ]]; then
    echo "building: cargo build --release --features redis --example $example"
    (cd "$root" && cargo build --release --features redis --example "$example") ||
        die "the build failed"
    target=${CARGO_TARGET_DIR:-$root/target}
    [[ $target == /* ]] || target=$root/$target
    bin=$target/release/examples/$example
fi
[[ -x $bin ]] || die "no executable at $bin"
[[ $bin == /* ]] || bin=$PWD/$bin

# --- The runtime directory ---------------------------------------------------------------

if [[ -z $rundir ]]; then
    rundir=$(mktemp -d "${TMPDIR:-/tmp}/mcp-deploy.XXXXXX")
else
    mkdir -p "$rundir"
    rundir=$(cd "$rundir" && pwd)
fi
mkdir -p "$rundir/redis" "$rundir/nginx-tmp"
echo "rundir $rundir"

# --- Stopping ----------------------------------------------------------------------------

replica_pids=()
replica_urls=()
replica_gone=()
nginx_pid=
redis_pid=
stopping=

# Whether a child is still running (a child that exited and was not reaped yet is a zombie).
alive() {
    local state
    [[ -n $1 ]] || return 1
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ -n $state && $state != Z* ]]
}

# Sends SIG to a child's process group (it leads one, see `spawn`), then waits up to SECS for
# it to exit, then kills the group.
stop_child() { # NAME PID SIG SECS
    local name=$1 pid=$2 sig=$3 secs=$4 i
    [[ -n $pid ]] || return 0
    kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        echo "$name (pid $pid) did not stop within ${secs}s; killing it" >&2
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_all() {
    [[ -z $stopping ]] || return 0
    stopping=1
    trap '' INT TERM
    local pid
    # Replicas first: each ends its open SSE streams with a last frame (`retry: 1000`), which
    # still reaches the clients through nginx, and finishes the calls in flight.
    for pid in "${replica_pids[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    for i in "${!replica_pids[@]}"; do
        # Signal 0: only wait (--shutdown-grace is 10 s by default), then kill.
        stop_child "replica $((i + 1))" "${replica_pids[$i]}" 0 20
    done
    # SIGQUIT: nginx finishes the requests it is passing on, then exits.
    stop_child nginx "$nginx_pid" QUIT 5
    stop_child redis-server "$redis_pid" TERM 5
    [[ -z $rundir ]] || echo "stopped; logs in $rundir"
}

on_signal() {
    echo "$1: stopping"
    stop_all
    exit 0
}

trap 'on_signal SIGINT' INT
trap 'on_signal SIGTERM' TERM
trap 'stop_all' EXIT

# --- Helpers -----------------------------------------------------------------------------

# Starts CMD in the background, in a process group of its own (job control on just for it),
# with stdin from /dev/null and its output appended to LOG; its pid goes to `spawned`. Ctrl-C
# in a terminal then reaches this script only, which stops the children in order: replicas
# first, so that their last SSE frames still pass through nginx; then nginx; then Redis.
spawn() { # LOG CMD...
    local log=$1
    shift
    set -m
    "$@" </dev/null >>"$log" 2>&1 &
    spawned=$!
    set +m
}

# Whether something accepts connections on 127.0.0.1:PORT.
port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

show_log() { # FILE
    echo "--- last lines of $1:" >&2
    tail -n 20 "$1" >&2 || true
}

# --- Redis -------------------------------------------------------------------------------

redis_ping() ( # PORT
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 1 reply <&3 || reply=
    [[ $reply == "+PONG"* ]]
)

start_redis() { # PORT; 0 when it answers
    local p=$1 i
    port_busy "$p" && return 1
    # No persistence: the sessions (and the deployment secret) live as long as this run.
    spawn "$rundir/redis.log" "$redis_server" --port "$p" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$rundir/redis" --daemonize no
    redis_pid=$spawned
    for ((i = 0; i < 100; i++)); do
        if ! alive "$redis_pid"; then
            wait "$redis_pid" 2>/dev/null || true
            redis_pid=
            return 1
        fi
        redis_ping "$p" 2>/dev/null && return 0
        sleep 0.1
    done
    stop_child redis-server "$redis_pid" TERM 2
    redis_pid=
    return 1
}

if [[ -n $redis_port ]]; then
    start_redis "$redis_port" || { show_log "$rundir/redis.log"; die "redis-server did not start on port $redis_port"; }
else
    for _ in 1 2 3 4 5 6 7 8; do
        redis_port=$((20000 + RANDOM % 30000))
        start_redis "$redis_port" && break
        redis_port=
    done
    [[ -n $redis_port ]] || { show_log "$rundir/redis.log"; die "redis-server did not start"; }
fi
store=redis://127.0.0.1:$redis_port/
echo "redis pid $redis_pid $store"

# --- The replicas ------------------------------------------------------------------------

# The Host names every replica accepts: what nginx passes on is the name the client used.
# A given --allow-host replaces the server's default list, so the loopback names are repeated.
allow_host=localhost,127.0.0.1,::1
for h in "${hosts[@]}"; do
    allow_host+=",$h"
done

for ((i = 1; i <= replicas; i++)); do
    # Port 0: the replica picks a free port and says which in its first log line.
    spawn "$rundir/replica-$i.log" \
        "$bin" --http 127.0.0.1:0 --store "$store" --allow-host "$allow_host" "${server_args[@]}"
    replica_pids+=("$spawned")
    replica_gone+=("")
done

# `NAME VERSION serving MCP at http://127.0.0.1:PORT/PATH`
path=/mcp
for ((i = 1; i <= replicas; i++)); do
    pid=${replica_pids[$((i - 1))]}
    log=$rundir/replica-$i.log
    url=
    for ((t = 0; t < 300; t++)); do
        url=$(sed -n 's/.* serving MCP at \(http:\/\/[^ ]*\).*/\1/p' "$log" | head -n 1)
        [[ -n $url ]] && break
        alive "$pid" || break
        sleep 0.1
    done
    if [[ -z $url ]]; then
        show_log "$log"
        die "replica $i did not start"
    fi
    replica_urls+=("$url")
    rest=${url#http://}
    path=/${rest#*/}
    echo "replica $i pid $pid $url log $log"
done

# --- nginx -------------------------------------------------------------------------------

servers=
for url in "${replica_urls[@]}"; do
    rest=${url#http://}
    servers+="        server ${rest%%/*} max_fails=1 fail_timeout=2s;"$'\n'
done
servers=${servers%$'\n'}

if [[ $(id -u) == 0 ]]; then
    # As root, nginx runs its workers as another user; they need to reach the temp paths,
    # which nginx itself creates and hands to that user.
    group=$(id -gn nobody 2>/dev/null) || group=nogroup
    user_line="user nobody $group;"
    chmod 711 "$rundir" "$rundir/nginx-tmp"
    d=$(dirname "$rundir")
    while [[ $d != / ]]; do
        if [[ -z $(find "$d" -maxdepth 0 -perm -o+x 2>/dev/null) ]]; then
            echo "run.sh: warning: nginx's workers (nobody) cannot enter $d, so request bodies" \
                "over 1 MiB fail; choose a --rundir under /tmp" >&2
            break
        fi
        d=$(dirname "$d")
    done
else
    user_line="# Started as $(id -un): the workers run as that user."
fi

case $bind in
    *:*) listen="[$bind]:$port" ;;
    *) listen="$bind:$port" ;;
esac
conf=$(<"$here/nginx.conf.template")
conf=${conf//@USER@/$user_line}
conf=${conf//@RUNDIR@/$rundir}
conf=${conf//@LISTEN@/$listen}
conf=${conf//@SERVERS@/$servers}
printf '%s\n' "$conf" >"$rundir/nginx.conf"

nginx_args=(-p "$rundir/" -c "$rundir/nginx.conf")
# -e (nginx 1.19.5 and later): no error log outside the runtime directory, even at start-up.
if "$nginx" -h 2>&1 | grep -q -- '^ *-e '; then
    nginx_args+=(-e "$rundir/nginx-error.log")
fi
if ! "$nginx" -t -q "${nginx_args[@]}" >>"$rundir/nginx-error.log" 2>&1; then
    show_log "$rundir/nginx-error.log"
    die "nginx rejected $rundir/nginx.conf"
fi
port_busy "$port" && die "port $port is taken"
spawn "$rundir/nginx-error.log" "$nginx" "${nginx_args[@]}"
nginx_pid=$spawned

case $bind in
    0.0.0.0 | ::) url_host=127.0.0.1 ;;
    *:*) url_host="[$bind]" ;;
    *) url_host=$bind ;;
esac
public_url=http://$url_host:$port$path
echo "nginx pid $nginx_pid $public_url config $rundir/nginx.conf"

# Ready when nginx passes a request to a replica and brings back its answer: a `ping` outside
# any session, which the replica refuses with 400 (no Mcp-Session-Id). 502/504 come from
# nginx itself, 000 means no connection.
ready=
for ((t = 0; t < 100; t++)); do
    alive "$nginx_pid" || break
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST "$public_url" \
        -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
        -d '{"jsonrpc":"2.0","id":0,"method":"ping"}' 2>/dev/null) || true
    case $code in
        000 | 502 | 503 | 504 | "") sleep 0.1 ;;
        *) ready=1; break ;;
    esac
done
if [[ -z $ready ]]; then
    show_log "$rundir/nginx-error.log"
    die "nginx did not answer at $public_url"
fi
echo "ready $public_url"

# --- Watching ----------------------------------------------------------------------------

while :; do
    # In the background, so that a signal is handled at once rather than after the sleep.
    sleep 1 &
    wait $! || true
    for i in "${!replica_pids[@]}"; do
        if [[ -z ${replica_gone[$i]} ]] && ! alive "${replica_pids[$i]}"; then
            replica_gone[i]=1
            status=0
            wait "${replica_pids[$i]}" 2>/dev/null || status=$?
            echo "replica $((i + 1)) (pid ${replica_pids[$i]}) exited with status $status; nginx skips it"
        fi
    done
    if [[ -n $redis_pid ]] && ! alive "$redis_pid"; then
        echo "redis-server (pid $redis_pid) exited: the replicas answer 503 to what needs the store" >&2
        redis_pid=
    fi
    if ! alive "$nginx_pid"; then
        show_log "$rundir/nginx-error.log"
        echo "nginx (pid $nginx_pid) exited; stopping" >&2
        nginx_pid=
        stop_all
        exit 1
    fi
done
