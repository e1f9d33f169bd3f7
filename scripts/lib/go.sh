# Shared by the build scripts: puts a Go toolchain on the PATH or stops.
# Usage: need_go "<what needs Go, and which version>" (after defining say).
need_go() {
  if ! command -v go >/dev/null 2>&1; then
    for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do
      [ -x "$g" ] && export PATH="$(dirname "$g"):$PATH" && break
    done
  fi
  if ! command -v go >/dev/null 2>&1; then
    say "$1"
    exit 3
  fi
}
