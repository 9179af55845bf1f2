#!/usr/bin/env bash
# Builds the Go servers (FerretDB launcher, SeaweedFS, the OpenID provider the tests sign in with)
# into var/bin once; later runs skip the build.
#
#   deploy/native/build-servers.sh [all|ferretdb|seaweedfs|oidc]
#
# Both builds are reproducible: the FerretDB launcher from its committed go.mod/go.sum
# (-mod=readonly, so nothing is resolved at build time), SeaweedFS from the pinned module version
# with its own go.sum. Modules come from the Go module proxy (GOPROXY), nothing else is fetched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
bin="$root/var/bin"
mkdir -p "$bin"

export PATH="$PATH:/usr/local/go/bin"
# -buildvcs=false: the launcher sits inside our git repo; VCS stamping would make the binary
#   depend on the working tree state. GOTOOLCHAIN=local: never download another Go.
# CGO_ENABLED=0: both are pure Go; static binaries and no C compiler needed on a fresh machine.
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local CGO_ENABLED=0

check_go() {
  command -v go >/dev/null || {
    echo "build-servers: Go >= $GO_MIN_VERSION is needed to build the servers once" \
         "(expected at /usr/local/go/bin/go)" >&2
    exit 1
  }
  local have; have=$(go env GOVERSION); have=${have#go}
  if [ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -n1)" != "$GO_MIN_VERSION" ]; then
    echo "build-servers: Go $have is too old, need >= $GO_MIN_VERSION" >&2
    exit 1
  fi
}

# build_launcher SRC OUT: one of our committed Go launchers (its go.mod/go.sum resolve everything).
build_launcher() {
  local src=$1 out=$2 start=$SECONDS
  (cd "$src" && go build -mod=readonly -trimpath -o "$out.tmp" .) || { rm -f "$out.tmp"; exit 1; }
  mv "$out.tmp" "$out"
  echo "built $out in $((SECONDS - start)) s"
}

build_ferretdb() {
  local out="$bin/ferretdb-$FERRETDB_VERSION" src="$here/ferretdb-launcher"
  if [ ! -x "$out" ]; then
    check_go
    # the committed go.mod must pin the version versions.env names, or we'd build something else
    grep -q "github.com/FerretDB/FerretDB $FERRETDB_VERSION\$" "$src/go.mod" || {
      echo "build-servers: $src/go.mod does not require FerretDB $FERRETDB_VERSION" >&2
      exit 1
    }
    echo "building FerretDB $FERRETDB_VERSION launcher (once, about a minute)..."
    build_launcher "$src" "$out"
  fi
  ln -sfn "ferretdb-$FERRETDB_VERSION" "$bin/ferretdb"
}

build_seaweedfs() {
  local out="$bin/weed-$SEAWEEDFS_VERSION"
  if [ ! -x "$out" ]; then
    check_go
    echo "building SeaweedFS $SEAWEEDFS_VERSION (once, several minutes)..."
    local start=$SECONDS dir
    # `go install mod@version` refuses modules whose go.mod has replace directives, so fetch the
    # module source into the (read-only) module cache and build ./weed inside it.
    dir=$(cd / && go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" \
          | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    [ -d "$dir" ] || { echo "build-servers: could not download SeaweedFS $SEAWEEDFS_VERSION" >&2; exit 1; }
    (cd "$dir" && go build -trimpath -o "$out.tmp" ./weed) || { rm -f "$out.tmp"; exit 1; }
    mv "$out.tmp" "$out"
    echo "built $out in $((SECONDS - start)) s"
  fi
  ln -sfn "weed-$SEAWEEDFS_VERSION" "$bin/weed"
}

# The tests' and the demo's OpenID Connect provider: zitadel/oidc's OP (deploy/native/oidc-provider),
# from its committed go.mod/go.sum like the FerretDB launcher. The binary's name carries a hash of
# those files, so changing them builds it again.
build_oidc() {
  local src="$here/oidc-provider" sum out
  sum=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-12)
  out="$bin/oidc-provider-$sum"
  if [ ! -x "$out" ]; then
    check_go
    echo "building the OpenID provider (once, under a minute)..."
    build_launcher "$src" "$out"
  fi
  ln -sfn "oidc-provider-$sum" "$bin/oidc-provider"
}

# One build at a time: a second `infra.sh up` started meanwhile waits here, then finds the binaries.
exec 9>"$bin/.build.lock"
flock 9

case "${1:-all}" in
  ferretdb) build_ferretdb ;;
  seaweedfs) build_seaweedfs ;;
  oidc) build_oidc ;;
  all) build_ferretdb; build_seaweedfs; build_oidc ;;
  *) echo "usage: $0 [all|ferretdb|seaweedfs|oidc]" >&2; exit 2 ;;
esac
