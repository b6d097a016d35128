#!/usr/bin/env bash
# Checks what can be checked of deploy/ without a container engine or a Kubernetes cluster:
#   - the YAML files parse (python3 + PyYAML) and have the expected shape;
#   - the systemd units pass `systemd-analyze verify` (when systemd-analyze exists);
#   - every HOCON file deploy/ ships or generates loads with the broker's own validation
#     (`akkabroker --print-config`): cluster.sh's generated node files, the container's broker.conf
#     with the settings entrypoint.sh adds, and the systemd example.
# Needs the Release build of src/Broker.Host (or AKKABROKER_DLL). Exit code 0 when all pass.
set -euo pipefail
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$DEPLOY")"
DLL="${AKKABROKER_DLL:-$ROOT/src/Broker.Host/bin/Release/net10.0/akkabroker.dll}"
DOTNET="${DOTNET:-dotnet}"
PY="${PYTHON:-/usr/bin/python3}"
[[ -x "$PY" ]] || PY=python3
[[ -f "$DLL" ]] || { echo "validate: no broker build at $DLL (dotnet build src/Broker.Host -c Release)" >&2; exit 1; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
failures=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; failures=$((failures + 1)); }

# The broker's config check: loads the file with overrides and validates every key.
check_hocon() {
  local what="$1"; shift
  local out
  if out="$("$DOTNET" "$DLL" "$@" --print-config 2>&1 >/dev/null)"; then ok "$what"; else bad "$what: $out"; fi
}

# YAML
if "$PY" - "$DEPLOY" <<'PY'
import sys, yaml
deploy = sys.argv[1]
docs = list(yaml.safe_load_all(open(f"{deploy}/kubernetes/akkabroker.yaml")))
kinds = [d["kind"] for d in docs]
assert kinds.count("StatefulSet") == 1 and kinds.count("Service") == 2, kinds
sts = next(d for d in docs if d["kind"] == "StatefulSet")
headless = next(d for d in docs if d["kind"] == "Service" and d["spec"].get("clusterIP") == "None")
assert sts["spec"]["serviceName"] == headless["metadata"]["name"]
assert sts["spec"]["selector"]["matchLabels"].items() <= sts["spec"]["template"]["metadata"]["labels"].items()
voters = next(d for d in docs if d["kind"] == "ConfigMap")["data"]["CONTROLLER_QUORUM_VOTERS"].split(",")
assert len(voters) == sts["spec"]["replicas"], voters
compose = yaml.safe_load(open(f"{deploy}/docker/docker-compose.yml"))
assert sorted(compose["services"]) == ["broker1", "broker2", "broker3"]
for name, svc in compose["services"].items():
    assert svc["environment"]["NODE_ID"] == name[-1] and svc["build"]["dockerfile"] == "deploy/docker/Dockerfile"
print("yaml shapes ok")
PY
then ok "kubernetes/akkabroker.yaml and docker/docker-compose.yml parse (StatefulSet, headless Service, 3 voters; 3 compose services)"
else bad "YAML"; fi

# systemd
if command -v systemd-analyze >/dev/null; then
  cp "$DEPLOY/systemd/akkabroker@.service" "$tmp/akkabroker@1.service"
  cp "$DEPLOY/systemd/akkabroker.target" "$tmp/"
  if out="$(systemd-analyze verify "$tmp/akkabroker@1.service" 2>&1 | grep -v -e 'not executable' -e 'No such file' || true)"; [[ -z "$out" ]]
  then ok "systemd/akkabroker@.service verifies"; else bad "systemd: $out"; fi
else
  echo "skip  systemd-analyze not installed"
fi

# HOCON: cluster.sh's generated files
"$DEPLOY/cluster.sh" config 3 --data "$tmp/cluster" --base-port 31092 > /dev/null
for i in 1 2 3; do check_hocon "cluster.sh node-$i.conf" --config "$tmp/cluster/node-$i/node.conf"; done
# HOCON: the container's file plus what entrypoint.sh adds (run through the entrypoint itself)
for spec in "compose:NODE_ID=2 CONTROLLER_QUORUM_VOTERS=1@broker1:9093,2@broker2:9093,3@broker3:9093 ADVERTISED_HOST=broker2" \
            "statefulset:HOSTNAME=akkabroker-1 CONTROLLER_QUORUM_VOTERS=0@akkabroker-0.akkabroker-headless:9093,1@akkabroker-1.akkabroker-headless:9093,2@akkabroker-2.akkabroker-headless:9093 ADVERTISED_HOST=akkabroker-1.akkabroker-headless"; do
  name="${spec%%:*}"; vars="${spec#*:}"
  sed "s|/app/hocon/reference.conf|$ROOT/hocon/reference.conf|" "$DEPLOY/docker/broker.conf" > "$tmp/broker.conf"
  # hostname(1) is replaced so the StatefulSet case sees the pod name.
  mkdir -p "$tmp/bin"
  printf '#!/bin/sh\necho "${HOSTNAME:-localhost}"\n' > "$tmp/bin/hostname"; chmod +x "$tmp/bin/hostname"
  if out="$(env $vars PATH="$tmp/bin:$PATH" AKKABROKER_CONFIG="$tmp/broker.conf" AKKABROKER_DLL="$DLL" \
      sh "$DEPLOY/docker/entrypoint.sh" --set "log.dirs=$tmp/data" --print-config 2>&1)"; then
    node_id="$(printf '%s\n' "$out" | grep -E '^node\.id *[=:]' | head -1 || true)"
    ok "docker/broker.conf via entrypoint.sh ($name): ${node_id:-loaded}"
  else bad "docker/broker.conf via entrypoint.sh ($name): $out"; fi
done
# HOCON: the systemd example
sed "s|/opt/akkabroker/hocon/reference.conf|$ROOT/hocon/reference.conf|" "$DEPLOY/systemd/node.conf.example" > "$tmp/node-1.conf"
check_hocon "systemd/node.conf.example" --config "$tmp/node-1.conf" --set "log.dirs=$tmp/data"

if (( failures )); then echo "$failures check(s) failed"; exit 1; fi
echo "all deploy checks passed (container images, compose and Kubernetes were not run: no engine here)"
