#!/usr/bin/env bash
# An N-node AkkaBroker cluster on one machine, in KRaft combined mode: every node is a broker and a
# controller voter. Each node gets its own ports, data directory, generated HOCON file and log.
#
#   deploy/cluster.sh start N [--base-port P] [--data DIR] [--set key=value]... [--no-build]
#   deploy/cluster.sh config N [--base-port P] [--data DIR] [--set key=value]...   (write the files only)
#   deploy/cluster.sh status [--data DIR]
#   deploy/cluster.sh stop [--data DIR]
#   deploy/cluster.sh kill NODE [--signal SIG] [--data DIR]      (default SIGKILL: a crash)
#   deploy/cluster.sh restart NODE [--data DIR]                   (SIGTERM if running, then start)
#   deploy/cluster.sh pause NODE | resume NODE [--data DIR]       (SIGSTOP / SIGCONT: an isolated node)
#
# Ports of node i (1-based), from the base port P (default 19092):
#   Kafka        P + 10*(i-1)        e.g. 19092, 19102, 19112
#   CONTROLLER   P + 10*(i-1) + 1    e.g. 19093, 19103, 19113
#   management   P + 10*(i-1) + 2    e.g. 19094, 19104, 19114   (HTTP: /alive /ready /cluster/members)
# Layout of DIR (default ./cluster-data, or $AKKABROKER_CLUSTER_DIR):
#   DIR/cluster.env                 N, base port and overrides, so later commands know the cluster
#   DIR/node-i/node.conf            the node's HOCON (includes hocon/reference.conf)
#   DIR/node-i/data/                log.dirs (partition logs and __cluster_metadata)
#   DIR/node-i/node.pid, node.log   the running process and its stdout/stderr
#
# The broker is the Release build of src/Broker.Host (built by `start` unless --no-build;
# $AKKABROKER_DLL runs another build). Exit codes: 0 ok, 1 failure, 2 bad usage.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DLL="${AKKABROKER_DLL:-$ROOT/src/Broker.Host/bin/Release/net10.0/akkabroker.dll}"
DOTNET="${DOTNET:-dotnet}"
DATA="${AKKABROKER_CLUSTER_DIR:-./cluster-data}"
BASE_PORT=19092
HOST=127.0.0.1
START_TIMEOUT="${AKKABROKER_START_TIMEOUT:-90}"
STOP_TIMEOUT="${AKKABROKER_STOP_TIMEOUT:-30}"
BUILD=1
SIGNAL=KILL
OVERRIDES=()

die() { echo "cluster.sh: $*" >&2; exit 1; }
usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---- arguments -----------------------------------------------------------------------------
[[ $# -ge 1 ]] || usage
COMMAND="$1"; shift
POSITIONAL=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --base-port) [[ $# -ge 2 ]] || usage; BASE_PORT="$2"; shift 2 ;;
    --base-port=*) BASE_PORT="${1#*=}"; shift ;;
    --data) [[ $# -ge 2 ]] || usage; DATA="$2"; shift 2 ;;
    --data=*) DATA="${1#*=}"; shift ;;
    --host) [[ $# -ge 2 ]] || usage; HOST="$2"; shift 2 ;;
    --set) [[ $# -ge 2 ]] || usage; OVERRIDES+=("$2"); shift 2 ;;
    --set=*) OVERRIDES+=("${1#*=}"); shift ;;
    --signal) [[ $# -ge 2 ]] || usage; SIGNAL="${2#SIG}"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage ;;
    -*) echo "cluster.sh: unknown option $1" >&2; usage ;;
    *) POSITIONAL+=("$1"); shift ;;
  esac
done
mkdir -p "$DATA" 2>/dev/null || die "cannot create $DATA"
DATA="$(cd "$DATA" && pwd)"

is_number() { [[ "$1" =~ ^[0-9]+$ ]]; }
kafka_port() { echo $((BASE_PORT + 10 * ($1 - 1))); }
controller_port() { echo $((BASE_PORT + 10 * ($1 - 1) + 1)); }
management_port() { echo $((BASE_PORT + 10 * ($1 - 1) + 2)); }
node_dir() { echo "$DATA/node-$1"; }

load_env() {
  [[ -f "$DATA/cluster.env" ]] || die "no cluster in $DATA (run: cluster.sh start N --data $DATA)"
  # shellcheck disable=SC1091
  source "$DATA/cluster.env"
}

# ---- configuration -------------------------------------------------------------------------
# A HOCON string literal (JSON quoting: backslashes and quotes escaped).
hocon_string() { local s="${1//\\/\\\\}"; printf '"%s"' "${s//\"/\\\"}"; }

# key=value from --set: lists ([...]) and objects stay raw HOCON; anything else becomes a string,
# which the broker's typed config reader converts (numbers, booleans, durations, sizes).
hocon_override() {
  local pair="$1" key value
  [[ "$pair" == *=* ]] || die "--set expects key=value, got '$pair'"
  key="${pair%%=*}"; value="${pair#*=}"
  case "$value" in
    \[*|\{*) printf '%s = %s\n' "$key" "$value" ;;
    *) printf '%s = %s\n' "$key" "$(hocon_string "$value")" ;;
  esac
}

write_configs() {
  local n="$1" i voters="" rf
  for ((i = 1; i <= n; i++)); do
    voters+="${voters:+,}$i@$HOST:$(controller_port "$i")"
  done
  rf=$(( n < 3 ? n : 3 ))
  {
    echo "N=$n"
    echo "BASE_PORT=$BASE_PORT"
    echo "HOST=$HOST"
    printf 'OVERRIDES=('; printf '%q ' "${OVERRIDES[@]+"${OVERRIDES[@]}"}"; echo ')'
  } > "$DATA/cluster.env"
  for ((i = 1; i <= n; i++)); do
    local dir; dir="$(node_dir "$i")"
    mkdir -p "$dir/data"
    {
      echo "# Node $i of a $n-node AkkaBroker cluster, written by deploy/cluster.sh (edits are overwritten on start)."
      echo "include $(hocon_string "$ROOT/hocon/reference.conf")"
      echo
      echo "node.id = $i"
      echo "process.roles = [broker, controller]"
      echo "listeners = $(hocon_string "PLAINTEXT://$HOST:$(kafka_port "$i"),CONTROLLER://$HOST:$(controller_port "$i")")"
      echo "advertised.listeners = $(hocon_string "PLAINTEXT://$HOST:$(kafka_port "$i")")"
      echo "inter.broker.listener.name = PLAINTEXT"
      echo "controller.listener.names = CONTROLLER"
      echo "controller.quorum.voters = $(hocon_string "$voters")"
      echo "log.dirs = $(hocon_string "$dir/data")"
      echo "management.http.listener = $(hocon_string "$HOST:$(management_port "$i")")"
      echo "management.http.allow-state-changes = true"
      echo "# Internal topics replicated as widely as the cluster allows (3 at most, as Kafka's defaults)."
      echo "offsets.topic.replication.factor = $rf"
      echo "transaction.state.log.replication.factor = $rf"
      echo "transaction.state.log.min.isr = $(( rf < 2 ? 1 : 2 ))"
      echo "group.initial.rebalance.delay.ms = 0"
      if [[ ${#OVERRIDES[@]} -gt 0 ]]; then
        echo
        echo "# --set overrides"
        local o
        for o in "${OVERRIDES[@]}"; do hocon_override "$o"; done
      fi
    } > "$dir/node.conf"
  done
}

# The broker's own validation of a generated file (--print-config loads and checks every key).
check_config() {
  local conf="$1" out
  if ! out="$("$DOTNET" "$DLL" --config "$conf" --print-config 2>&1 >/dev/null)"; then
    die "invalid configuration $conf: $out"
  fi
}

# ---- processes -----------------------------------------------------------------------------
# The pid of node i when its process is alive and still ours (the pid file names a process whose
# command line holds this node's config file, so a recycled pid is never signalled).
node_pid() {
  local pidfile pid; pidfile="$(node_dir "$1")/node.pid"
  [[ -f "$pidfile" ]] || return 1
  pid="$(<"$pidfile")"
  is_number "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$(node_dir "$1")/node.conf" || return 1
  echo "$pid"
}

node_state() {
  local pid; pid="$(node_pid "$1")" || { echo stopped; return; }
  local stat; stat="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo '?')"
  case "$stat" in
    T|t) echo paused ;;
    Z) echo stopped ;;
    *) echo running ;;
  esac
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

launch() {
  local i="$1" dir; dir="$(node_dir "$i")"
  if node_pid "$i" >/dev/null; then
    die "node $i is already running (pid $(node_pid "$i"))"
  fi
  [[ -f "$DLL" ]] || die "no broker build at $DLL (run without --no-build, or set AKKABROKER_DLL)"
  echo "=== start $(date -u +%FT%T.%3NZ)" >> "$dir/node.log"
  # setsid: the node outlives this script and is not hit by the terminal's Ctrl-C.
  setsid "$DOTNET" "$DLL" --config "$dir/node.conf" >> "$dir/node.log" 2>&1 < /dev/null &
  echo $! > "$dir/node.pid"
}

# The process just launched is alive, though maybe not yet exec'd: between fork and exec its command
# line is still this script's, so node_pid cannot recognise it yet (a loaded machine stays in that
# window long enough to be seen).
launched_alive() {
  local pid; pid="$(cat "$(node_dir "$1")/node.pid" 2>/dev/null)" || return 1
  is_number "$pid" && kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]
}

wait_listening() {
  local i="$1" port; port="$(kafka_port "$i")"
  local deadline=$((SECONDS + START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if ! node_pid "$i" >/dev/null && ! launched_alive "$i"; then
      echo "cluster.sh: node $i exited before listening on $HOST:$port; last lines of $(node_dir "$i")/node.log:" >&2
      tail -n 20 "$(node_dir "$i")/node.log" >&2
      return 1
    fi
    if port_open "$port"; then return 0; fi
    sleep 0.2
  done
  echo "cluster.sh: node $i did not listen on $HOST:$port within ${START_TIMEOUT}s" >&2
  return 1
}

signal_node() {
  local i="$1" sig="$2" pid
  pid="$(node_pid "$i")" || die "node $i is not running"
  kill "-$sig" "$pid"
}

stop_node() {
  local i="$1" pid
  pid="$(node_pid "$i")" || return 0
  kill -CONT "$pid" 2>/dev/null || true # a paused node cannot handle SIGTERM
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while (( SECONDS < deadline )) && kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "cluster.sh: node $i did not stop within ${STOP_TIMEOUT}s after SIGTERM: killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(node_dir "$i")/node.pid"
}

require_node() {
  [[ ${#POSITIONAL[@]} -eq 1 ]] && is_number "${POSITIONAL[0]}" || usage
  local i="${POSITIONAL[0]}"
  (( i >= 1 && i <= N )) || die "node $i is not in this $N-node cluster"
  echo "$i"
}

status() {
  local i
  printf '%-5s %-8s %-8s %-6s %-11s %-11s %s\n' NODE STATE PID KAFKA CONTROLLER MANAGEMENT READY
  for ((i = 1; i <= N; i++)); do
    local state pid ready="-"
    state="$(node_state "$i")"
    pid="$(node_pid "$i" || echo -)"
    if [[ "$state" == running ]] && command -v curl >/dev/null; then
      ready="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$HOST:$(management_port "$i")/ready" || true)"
      case "$ready" in 200) ready=ready ;; 503) ready="not ready" ;; *) ready="no answer" ;; esac
    fi
    printf '%-5s %-8s %-8s %-6s %-11s %-11s %s\n' "$i" "$state" "$pid" \
      "$(kafka_port "$i")" "$(controller_port "$i")" "$(management_port "$i")" "$ready"
  done
}

# ---- commands ------------------------------------------------------------------------------
case "$COMMAND" in
  start|config)
    [[ ${#POSITIONAL[@]} -eq 1 ]] && is_number "${POSITIONAL[0]}" || usage
    N="${POSITIONAL[0]}"
    (( N >= 1 )) || die "N must be at least 1"
    is_number "$BASE_PORT" && (( BASE_PORT > 0 && BASE_PORT + 10 * N < 65536 )) || die "bad --base-port $BASE_PORT"
    if [[ "$COMMAND" == start && -f "$DATA/cluster.env" ]]; then
      ( source "$DATA/cluster.env"; for ((i = 1; i <= N; i++)); do node_pid "$i" >/dev/null && exit 1; done; exit 0 ) \
        || die "a cluster is already running in $DATA (cluster.sh stop --data $DATA)"
    fi
    if [[ "$COMMAND" == start && $BUILD -eq 1 && -z "${AKKABROKER_DLL:-}" ]]; then
      "$DOTNET" build "$ROOT/src/Broker.Host/Broker.Host.csproj" -c Release --nologo -v q >&2 \
        || die "build of src/Broker.Host failed"
    fi
    write_configs "$N"
    if [[ -f "$DLL" ]]; then
      for ((i = 1; i <= N; i++)); do check_config "$(node_dir "$i")/node.conf"; done
    elif [[ "$COMMAND" == start ]]; then
      die "no broker build at $DLL"
    fi
    if [[ "$COMMAND" == config ]]; then
      for ((i = 1; i <= N; i++)); do echo "$(node_dir "$i")/node.conf"; done
      exit 0
    fi
    for ((i = 1; i <= N; i++)); do launch "$i"; done
    failed=0
    for ((i = 1; i <= N; i++)); do wait_listening "$i" || failed=1; done
    if (( failed )); then
      for ((i = 1; i <= N; i++)); do stop_node "$i"; done
      die "start failed; the cluster was stopped"
    fi
    status
    ;;
  stop)
    load_env
    for ((i = 1; i <= N; i++)); do
      pid="$(node_pid "$i" || true)"
      if [[ -n "$pid" ]]; then kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; fi
    done
    for ((i = 1; i <= N; i++)); do stop_node "$i"; done
    echo "stopped $N nodes in $DATA"
    ;;
  status)
    load_env
    status
    ;;
  kill)
    load_env
    i="$(require_node)"
    signal_node "$i" "$SIGNAL"
    if [[ "$SIGNAL" == KILL || "$SIGNAL" == 9 ]]; then
      pid="$(node_pid "$i" || true)"
      while [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && [[ "$(node_state "$i")" != stopped ]]; do sleep 0.05; done
      rm -f "$(node_dir "$i")/node.pid"
    fi
    echo "node $i: SIG$SIGNAL sent"
    ;;
  pause)
    load_env
    i="$(require_node)"
    signal_node "$i" STOP
    echo "node $i paused"
    ;;
  resume)
    load_env
    i="$(require_node)"
    signal_node "$i" CONT
    echo "node $i resumed"
    ;;
  restart)
    load_env
    i="$(require_node)"
    stop_node "$i"
    launch "$i"
    wait_listening "$i" || die "node $i did not come back"
    echo "node $i running (pid $(node_pid "$i"))"
    ;;
  *)
    usage
    ;;
esac
