# shellcheck shell=bash
# Sourced by every script that needs uv or Debian packages: `. "$root/scripts/lib/bootstrap.sh"`.
# Works on a stock Debian 12/13 or Ubuntu 22.04/24.04 machine where only python3 is installed: the system Python
# is never touched (PEP 668 refuses `pip install` there anyway).

# The root of the checkout this file belongs to.
STACKLAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Where uv lives when the machine has none: a private virtualenv of our own, outside the checkout.
STACKLAB_TOOLS=${STACKLAB_TOOLS:-${XDG_DATA_HOME:-$HOME/.local/share}/stacklab/tools}

# Run a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install Debian packages without starting their services on this machine (apache2, nginx, PostgreSQL would
# otherwise start and hold ports; the tests run their own instances): a policy-rc.d that denies every start.
apt_install() {
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" -eq 0 ]; then
    printf '#!/bin/sh\n# stacklab: no service starts while packages install\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
  fi
  local status=0
  { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  } || status=$?
  if [ "$had_policy" -eq 0 ]; then as_root rm -f "$policy"; fi
  return "$status"
}

# The Debian archive this machine's apt already uses (a local mirror or proxy works where deb.debian.org does
# not), for downloads outside apt's own sources: DEBIAN_MIRROR overrides; deb.debian.org when none is found
# (e.g. on Ubuntu, whose archive has no Debian suites).
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | sed -n -e 's/^deb \(\[[^]]*\] \)\{0,1\}\([a-z]*:\/\/[^ ]*\) .*/\2/p' -e 's/^URIs: *\([^ ]*\).*/\1/p' \
    | grep -E '/debian/?$' | head -1)
  echo "${uri:-http://deb.debian.org/debian}"
}

# The version of uv that uv.lock pins (the dev group lists uv): the same uv everywhere.
locked_uv_version() {
  awk '/^name = "uv"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$STACKLAB_ROOT/uv.lock"
}

# Make `uv` available on PATH: the one already there, or the locked version in the private tools venv.
# STACKLAB_FRESH=1 (CI) ignores a uv already on PATH, as a new machine has none. Only uv goes on PATH (from
# STACKLAB_TOOLS/bin), not the venv's python3, so the scripts' python3 stays the machine's.
ensure_uv() {
  if [ ! -x "$STACKLAB_TOOLS/bin/uv" ] && [ "${STACKLAB_FRESH:-0}" != 1 ] && command -v uv >/dev/null; then
    return 0
  fi
  if [ ! -x "$STACKLAB_TOOLS/bin/uv" ]; then
    local version
    version=$(locked_uv_version)
    echo "bootstrap: installing uv $version into $STACKLAB_TOOLS (a private virtualenv; the system Python is untouched)"
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
      # Debian and Ubuntu ship venv's ensurepip separately.
      apt_install python3-venv || {
        echo "bootstrap: python3 cannot make virtualenvs; install python3-venv (apt-get install python3-venv)" >&2
        return 1
      }
    fi
    rm -rf "$STACKLAB_TOOLS"
    python3 -m venv "$STACKLAB_TOOLS/venv"
    "$STACKLAB_TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$version"
    mkdir -p "$STACKLAB_TOOLS/bin"
    ln -s ../venv/bin/uv "$STACKLAB_TOOLS/bin/uv"
  fi
  export PATH="$STACKLAB_TOOLS/bin:$PATH"
}

# uv plus the workspace venv (every service package and the dev tools) exactly as uv.lock pins them.
ensure_venv() {
  ensure_uv
  (cd "$STACKLAB_ROOT" && uv sync --frozen --all-packages --quiet)
}

# The lab's ports: every *_PORT in stack.env, one per line, read by the lab's one KEY=VALUE reader
# (stacklab_core.envfile: standard library only, so the machine's python3 runs it without the venv).
lab_ports() {
  python3 - "$STACKLAB_ROOT" <<'PY'
import sys
sys.path.insert(0, f"{sys.argv[1]}/core/src")
from stacklab_core.envfile import read
print("\n".join(v for k, v in read(f"{sys.argv[1]}/stack.env").items() if k.endswith("_PORT")))
PY
}

# lab_port KEY: one value of the port plan, e.g. `lab_port LAB_PORT`
lab_port() {
  python3 - "$STACKLAB_ROOT" "$1" <<'PY'
import sys
sys.path.insert(0, f"{sys.argv[1]}/core/src")
from stacklab_core.envfile import read
print(read(f"{sys.argv[1]}/stack.env")[sys.argv[2]])
PY
}

# Keep the lab's ports out of Linux's ephemeral range (32768-60999 holds the course's 50000-50004): otherwise a
# client's source port, left in TIME-WAIT after a heavy loopback load, can block the server from binding it.
# Adds to what is reserved already; needs root (sudo); warns and goes on where the sysctl is not writable.
reserve_lab_ports() {
  local key=net.ipv4.ip_local_reserved_ports current wanted
  current=$(sysctl -n "$key" 2>/dev/null | tr ',' '\n' | awk -F- 'NF == 2 { for (p = $1; p <= $2; p++) print p; next } 1') \
    || return 0
  wanted=$( (echo "$current"; lab_ports) | sed '/^$/d' | sort -n -u)
  [ "$wanted" = "$(echo "$current" | sed '/^$/d' | sort -n -u)" ] && return 0
  wanted=$(paste -sd, - <<<"$wanted")
  as_root sysctl -q -w "$key=$wanted" >/dev/null 2>&1 \
    || echo "bootstrap: cannot reserve the lab's ports ($key=$wanted); after heavy loopback load a port may stay busy for a minute" >&2
}

# After `docker compose up` failed: say which of the lab's ports something else holds, and what to do.
explain_busy_ports() {
  local port holders line
  for port in $(lab_ports); do
    holders=$(ss -Htanp "( sport = :$port )" 2>/dev/null | grep -v docker-proxy) || continue
    [ -n "$holders" ] || continue
    echo "port $port is taken:"
    while IFS= read -r line; do echo "  $line"; done <<<"$holders"
    if grep -q LISTEN <<<"$holders"; then
      echo "  stop the program listening there, or give the lab another port: $(grep -m1 "_PORT=$port\$" "$STACKLAB_ROOT/stack.env" | cut -d= -f1)=<free port> in .env"
    else
      echo "  a recent connection holds it (TIME-WAIT): it frees itself within a minute; reserved ports prevent it"
    fi
  done >&2
}
