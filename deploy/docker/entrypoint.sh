#!/bin/sh
# Starts one AkkaBroker node in a container. Environment:
#   NODE_ID                    this node's id; unset: the ordinal at the end of the hostname
#                              (a StatefulSet pod akkabroker-2 is node 2) plus NODE_ID_OFFSET (default 0)
#   CONTROLLER_QUORUM_VOTERS   id@host:port,... (required unless the config file sets it)
#   ADVERTISED_HOST            the name clients and other nodes reach this node by (default: hostname -f)
#   KAFKA_PORT                 the advertised Kafka port (default 9092)
#   AKKABROKER_CONFIG          the HOCON file (default /etc/akkabroker/broker.conf)
# Extra arguments are passed to the broker (e.g. --set min.insync.replicas=2).
set -eu

if [ -z "${NODE_ID:-}" ]; then
  host="$(hostname)"
  ordinal="${host##*-}"
  case "$ordinal" in
    ''|*[!0-9]*) echo "entrypoint: NODE_ID is not set and hostname '$host' does not end in -<ordinal>" >&2; exit 2 ;;
  esac
  NODE_ID=$((ordinal + ${NODE_ID_OFFSET:-0}))
fi
advertised_host="${ADVERTISED_HOST:-$(hostname -f)}"

set -- --config "${AKKABROKER_CONFIG:-/etc/akkabroker/broker.conf}" \
  --set "node.id=$NODE_ID" \
  --set "advertised.listeners=PLAINTEXT://$advertised_host:${KAFKA_PORT:-9092}" \
  "$@"
if [ -n "${CONTROLLER_QUORUM_VOTERS:-}" ]; then
  set -- "$@" --set "controller.quorum.voters=$CONTROLLER_QUORUM_VOTERS"
fi
exec dotnet "${AKKABROKER_DLL:-/app/akkabroker.dll}" "$@"
