#!/usr/bin/env bash
# Builds the real Kubernetes parts Harbormaster is tested against, from the Go
# module proxy, pinned, and caches them under ~/.cache/harbormaster/<pin>/.
# A second run finds the cache and returns at once.
#
#   kube-apiserver, kube-controller-manager,
#   kube-scheduler, kubectl                           <- k8s.io/kubernetes@$K8S_VERSION
#   etcd                                              <- go.etcd.io/etcd/server/v3 (the version kubernetes pins)
#   helm                                              <- helm.sh/helm/v3/cmd/helm@$HELM_VERSION
#   kwok (simulated nodes)                            <- sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION
#   promtool (checks the prometheus addon's config)   <- github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION
#
# k8s.io/kubernetes cannot be "go install"ed: its go.mod replaces every k8s.io/*
# staging module with a local path. We write a small wrapper module whose
# replace lines pin each staging module to the matching published v0.X.Y.
set -euo pipefail

K8S_VERSION="${HM_K8S_VERSION:-v1.37.2}"
HELM_VERSION="${HM_HELM_VERSION:-v3.22.0}"
KWOK_VERSION="${HM_KWOK_VERSION:-v0.8.0}"
# Go module v0.316.0 is Prometheus 3.16.0 (the module is tagged v0.3MM.P for 3.MM.P).
PROMETHEUS_VERSION="${HM_PROMETHEUS_VERSION:-v0.316.0}"
CACHE_ROOT="${HM_CACHE_DIR:-$HOME/.cache/harbormaster}"
OUT="$CACHE_ROOT/k8s-$K8S_VERSION-helm-$HELM_VERSION"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd helm kwok promtool)

say() { printf '[build-binaries] %s\n' "$*" >&2; }

have_all() {
  for b in "${BINARIES[@]}"; do [ -x "$OUT/bin/$b" ] || return 1; done
}

if have_all; then
  say "cached: $OUT/bin"
  echo "$OUT/bin"
  exit 0
fi

# shellcheck source=lib/go.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/go.sh"
need_go "Go is required to build kube-apiserver, etcd and helm from source. Install Go 1.25 or newer, on the PATH or at /usr/local/go (Debian's golang-go is too old for kubernetes v1.37), and run again."

mkdir -p "$OUT/bin"
WORK="$OUT/src"
mkdir -p "$WORK"
export GOFLAGS="-mod=mod"
export CGO_ENABLED=0
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
staging_version="v0.${K8S_VERSION#v1.}"

# --- kubernetes -------------------------------------------------------------
k8s_mod_dir="$WORK/kubernetes"
mkdir -p "$k8s_mod_dir"
if [ ! -x "$OUT/bin/kube-apiserver" ] || [ ! -x "$OUT/bin/kube-controller-manager" ] || [ ! -x "$OUT/bin/kube-scheduler" ] || [ ! -x "$OUT/bin/kubectl" ]; then
  say "[1/6] fetching k8s.io/kubernetes@$K8S_VERSION module metadata"
  modfile=$(cd "$k8s_mod_dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$modfile" ] || { say "could not download k8s.io/kubernetes@$K8S_VERSION"; exit 4; }
  {
    echo "module harbormaster.local/k8sbuild"
    echo
    echo "go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    # every "k8s.io/X => ./staging/src/k8s.io/X" becomes "k8s.io/X => k8s.io/X v0.Y.Z"
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging_version"'#p' "$modfile"
    echo ")"
  } > "$k8s_mod_dir/go.mod"
  cat > "$k8s_mod_dir/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  say "[1/6] resolving dependencies (first run downloads a few hundred MB of modules)"
  (cd "$k8s_mod_dir" && go mod tidy -e >/dev/null 2>"$WORK/tidy.log" || { cat "$WORK/tidy.log" >&2; exit 5; })
  ldflags="-s -w"
  for v in gitVersion=$K8S_VERSION gitMajor=1 gitMinor=$minor gitTreeState=clean; do
    ldflags="$ldflags -X k8s.io/component-base/version.$v -X k8s.io/client-go/pkg/version.$v"
  done
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    if [ ! -x "$OUT/bin/$cmd" ]; then
      say "[2/6] building $cmd $K8S_VERSION (several minutes on 2 cores)"
      (cd "$k8s_mod_dir" && go build -trimpath -ldflags "$ldflags" -o "$OUT/bin/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
      mv "$OUT/bin/$cmd.tmp" "$OUT/bin/$cmd"
    fi
  done
fi

# --- etcd --------------------------------------------------------------------
if [ ! -x "$OUT/bin/etcd" ]; then
  modfile=$(cd "$k8s_mod_dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  etcd_version=$(sed -n 's#^[[:space:]]*go.etcd.io/etcd/client/v3 \(v[0-9.]*\).*#\1#p' "$modfile" | head -1)
  etcd_version="${HM_ETCD_VERSION:-${etcd_version:-v3.6.5}}"
  say "[3/6] building etcd $etcd_version"
  etcd_dir="$WORK/etcd"
  mkdir -p "$etcd_dir"
  cat > "$etcd_dir/go.mod" <<GOMOD
module harbormaster.local/etcdbuild

go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')

require go.etcd.io/etcd/server/v3 $etcd_version
GOMOD
  cat > "$etcd_dir/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  (cd "$etcd_dir" && go mod tidy -e >/dev/null 2>"$WORK/etcd-tidy.log" || { cat "$WORK/etcd-tidy.log" >&2; exit 5; })
  (cd "$etcd_dir" && go build -trimpath -ldflags "-s -w" -o "$OUT/bin/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$OUT/bin/etcd.tmp" "$OUT/bin/etcd"
fi

# --- helm --------------------------------------------------------------------
if [ ! -x "$OUT/bin/helm" ]; then
  say "[4/6] building helm $HELM_VERSION"
  GOBIN="$OUT/bin" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

# --- kwok and promtool ---------------------------------------------------------
if [ ! -x "$OUT/bin/kwok" ]; then
  say "[5/6] building kwok $KWOK_VERSION (simulated nodes)"
  GOBIN="$OUT/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
fi
if [ ! -x "$OUT/bin/promtool" ]; then
  say "[6/6] building promtool $PROMETHEUS_VERSION"
  GOBIN="$OUT/bin" go install -trimpath -ldflags "-s -w" "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
fi

have_all || { say "some binaries are missing in $OUT/bin"; exit 6; }
say "done: $OUT/bin"
echo "$OUT/bin"
