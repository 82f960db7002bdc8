#!/usr/bin/env bash
# Proves the plugin's answers pull images: two real registries (Debian's
# docker-registry, the CNCF distribution registry) demanding htpasswd logins on
# 127.0.0.1, a real containerd, and the plugin asked exactly as the kubelet asks.
# The username and password from the answer reach containerd the way the kubelet
# hands them over (username and password only, no server address): `ctr images
# pull --user`, which, like the CRI's PullImage without a ServerAddress, offers
# them to every host the image resolves to, mirrors included.
#
# Usage: bash tests/real-registry.sh [PLUGIN_BINARY]
# Without an argument it builds the static binary. Needs root (containerd, and
# apt-get install of docker-registry, containerd, apache2-utils and curl when
# missing) and loopback only: nothing leaves the machine. Every daemon runs on
# 127.0.0.1 with its state in a private work directory, and is stopped by PID on
# exit whatever the outcome. Passwords are random per run and never printed;
# the last check searches every log and output of the run for them.
#
# Each check prints `ok NAME`, `FAIL NAME: reason` or `SKIPPED NAME: reason`;
# the last line is `N passed, N failed[, N skipped]`; the exit status is 1 on
# any failure.
set -uo pipefail
umask 077
cd "$(dirname "$0")/.." || exit 1
SECONDS=0

passed=0 failed=0 skipped=0
ok() { printf 'ok %s\n' "$1" | tee -a "${OUTLOG:-/dev/null}"; passed=$((passed + 1)); }
fail() { printf 'FAIL %s: %s\n' "$1" "$2" | tee -a "${OUTLOG:-/dev/null}"; failed=$((failed + 1)); }
skip() { printf 'SKIPPED %s: %s\n' "$1" "$2" | tee -a "${OUTLOG:-/dev/null}"; skipped=$((skipped + 1)); }
say() { printf '%s\n' "$*" | tee -a "${OUTLOG:-/dev/null}"; }
summary() {
  local line="$passed passed, $failed failed"
  [ "$skipped" -gt 0 ] && line+=", $skipped skipped"
  say "$line"
}
# A setup step that cannot go on: report it, stop (the EXIT trap cleans up).
die() {
  fail "$1" "$2"
  [ -n "${3:-}" ] && show_tail "$3"
  summary
  exit 1
}

# ---------------------------------------------------------------- cleanup
PIDS=()
WORK='' SOCKDIR='' POLICY_RC=''
cleanup() {
  local pid i
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ -n "$WORK" ]; then
    # Deepest first: a snapshot or image mount left by a failed step.
    awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null; done
    # GCP_KEEP_WORK=1 keeps it to read the logs (daemons are stopped all the same).
    [ "${GCP_KEEP_WORK:-}" = 1 ] || rm -rf "$WORK"
  fi
  [ -n "$SOCKDIR" ] && rm -rf "$SOCKDIR"
  [ -n "$POLICY_RC" ] && rm -f "$POLICY_RC"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- the binary
if [ $# -ge 1 ]; then
  BIN=$1
  [ -x "$BIN" ] || die setup "plugin binary $BIN is not an executable file"
else
  rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1 || true
  cargo build --release --locked --target x86_64-unknown-linux-musl --quiet || die setup "cargo build failed"
  BIN=$PWD/target/x86_64-unknown-linux-musl/release/generic-credential-provider
fi
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac

[ "$(id -u)" = 0 ] || die setup "needs root (containerd and apt-get); run it as root, as CI does"

# ---------------------------------------------------------------- packages
install_start=$SECONDS
need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
{ command -v containerd >/dev/null && command -v ctr >/dev/null; } || need+=(containerd)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  # Installing must not start the packages' own system-wide daemons (a registry
  # on :5000, a containerd on /run/containerd): deny service starts while apt
  # runs, unless the machine already has a policy.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    POLICY_RC=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC" && chmod 0755 "$POLICY_RC"
  fi
  say "installing ${need[*]}"
  aptlog=$(mktemp)
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; } \
    >"$aptlog" 2>&1 || { tail -n 15 "$aptlog"; rm -f "$aptlog"; die setup "apt-get install ${need[*]} failed"; }
  rm -f "$aptlog"
  if [ -n "$POLICY_RC" ]; then rm -f "$POLICY_RC"; POLICY_RC=; fi
fi
install_seconds=$((SECONDS - install_start))

# ---------------------------------------------------------------- work dir
# The plugin refuses a credential root below a directory writable by group or
# others (the system temp directory, for one), so the work dir lives in target/
# when its whole path qualifies, else in a private directory in $HOME.
trusted() {
  local d=$1 uid mode
  while :; do
    [ -L "$d" ] && return 1
    read -r uid mode < <(stat -c '%u %a' "$d")
    { [ "$uid" = 0 ] || [ "$uid" = "$(id -u)" ]; } || return 1
    (((8#$mode & 8#022) == 0)) || return 1
    [ "$d" = / ] && return 0
    d=$(dirname "$d")
  done
}
base="$(pwd -P)/target"
mkdir -p "$base"
if ! trusted "$base"; then
  base="${HOME:-/root}/.cache/generic-credential-provider"
  install -d -m 0700 "$base"
  trusted "$base" || die setup "no directory here passes the plugin's trust rules for a credential root"
fi
WORK=$(mktemp -d "$base/real-registry.XXXXXX") || die setup "mktemp in $base failed"
chmod 0700 "$WORK"
LOG=$WORK/log SECRET=$WORK/secret IMG=$WORK/image
mkdir -p "$LOG" "$SECRET" "$IMG" "$WORK/tmp"
OUTLOG=$LOG/output
: >"$OUTLOG"
SECRETS=$SECRET/passwords # every secret of the run, one a line, for the final search
: >"$SECRETS"

# A unix socket path is at most 107 bytes; a deep checkout gets a short one.
SOCK=$WORK/containerd.sock
if [ ${#SOCK} -gt 100 ]; then
  SOCKDIR=$(mktemp -d /tmp/gcp-ctr.XXXXXX)
  SOCK=$SOCKDIR/containerd.sock
fi

# Prints the end of a daemon's log when a step fails, unless it holds a secret.
show_tail() {
  if grep -qF -f "$SECRETS" "$1" 2>/dev/null; then
    say "  ($1 holds a password: not shown)"
  else
    tail -n 15 "$1" 2>/dev/null | sed 's/^/  | /' | tee -a "$OUTLOG"
  fi
}

newpass() {
  local p
  p=$(head -c 18 /dev/urandom | base64)
  printf '%s\n' "$p" >>"$SECRETS"
  printf '%s' "$p"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- registries
PRIV_USER=team-robot MIRROR_USER=mirror-robot
PRIV_PASS=$(newpass) MIRROR_PASS=$(newpass) WRONG_PASS=$(newpass) UPSTREAM_PASS=$(newpass)
# The Basic header forms too, should anything log a request's Authorization.
for pair in "$PRIV_USER:$PRIV_PASS" "$MIRROR_USER:$MIRROR_PASS"; do
  printf '%s' "$pair" | base64 -w0 >>"$SECRETS"
  echo >>"$SECRETS"
done

for v in $(compgen -e | grep '^REGISTRY_'); do unset "$v"; done # no outside overrides

start_registry() { # NAME USER PASS -> sets PORT
  local name=$1 user=$2 pass=$3 dir=$WORK/registry-$1 port code i
  mkdir -p "$dir/data"
  printf '%s\n' "$pass" | htpasswd -iBc "$dir/htpasswd" "$user" 2>>"$LOG/htpasswd" ||
    die setup "htpasswd for registry $name failed" "$LOG/htpasswd"
  printf 'machine 127.0.0.1 login %s password %s\n' "$user" "$pass" >"$SECRET/netrc-$name"
  port=$(free_port)
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
auth:
  htpasswd:
    realm: gcp-real-registry-test
    path: $dir/htpasswd
EOF
  docker-registry serve "$dir/config.yml" >"$LOG/registry-$name" 2>&1 &
  PIDS+=($!)
  for ((i = 0; i < 100; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/") && [ "$code" != 000 ] && break
    sleep 0.1
  done
  [ "$code" = 401 ] || die "registry $name" "did not answer 401 on /v2/ without credentials (got $code)" "$LOG/registry-$name"
  code=$(curl -s -o /dev/null -w '%{http_code}' --netrc-file "$SECRET/netrc-$name" "http://127.0.0.1:$port/v2/")
  [ "$code" = 200 ] || die "registry $name" "did not accept its htpasswd login (got $code)" "$LOG/registry-$name"
  ok "registry $name on 127.0.0.1:$port demands its login"
  PORT=$port
}
start_registry private "$PRIV_USER" "$PRIV_PASS"
PRIV=127.0.0.1:$PORT
start_registry mirror "$MIRROR_USER" "$MIRROR_PASS"
MIRROR=127.0.0.1:$PORT

# ---------------------------------------------------------------- the image
# One layer holding one file, its config and an OCI manifest, built here so the
# test needs no image from anywhere.
case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(dpkg --print-architecture) ;;
esac
mkdir -p "$IMG/rootfs"
printf 'pulled with the answer of generic-credential-provider\n' >"$IMG/rootfs/hello.txt"
tar --sort=name --owner=0 --group=0 --numeric-owner --mode=0644 --mtime=@0 \
  -C "$IMG/rootfs" -cf "$IMG/layer.tar" hello.txt || die image "tar failed"
gzip -n -c "$IMG/layer.tar" >"$IMG/layer.tar.gz"
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
printf '{"architecture":"%s","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$arch" "$(sha "$IMG/layer.tar")" >"$IMG/config.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$(sha "$IMG/config.json")" "$(size "$IMG/config.json")" \
  "$(sha "$IMG/layer.tar.gz")" "$(size "$IMG/layer.tar.gz")" >"$IMG/manifest.json"
MANIFEST_DIGEST=sha256:$(sha "$IMG/manifest.json")

# Pushes through the registry HTTP API: a blob upload (POST, then PUT with the
# digest) for the layer and the config, then the manifest under its tag.
push_blob() { # NETRC BASEURL REPO FILE
  local loc sep code
  loc=$(curl -sS --netrc-file "$1" -o /dev/null -D - -X POST "$2/v2/$3/blobs/uploads/" 2>>"$LOG/push" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [ -n "$loc" ] || return 1
  case $loc in /*) loc=$2$loc ;; esac
  case $loc in *\?*) sep='&' ;; *) sep='?' ;; esac
  code=$(curl -sS --netrc-file "$1" -o "$LOG/push.body" -w '%{http_code}' -X PUT \
    -H 'Content-Type: application/octet-stream' --data-binary @"$4" \
    "$loc${sep}digest=sha256:$(sha "$4")" 2>>"$LOG/push")
  [ "$code" = 201 ]
}
push_image() { # NAME HOST:PORT REPO TAG
  local netrc=$SECRET/netrc-$1 url=http://$2 repo=$3 tag=$4 code
  push_blob "$netrc" "$url" "$repo" "$IMG/layer.tar.gz" || return 1
  push_blob "$netrc" "$url" "$repo" "$IMG/config.json" || return 1
  code=$(curl -sS --netrc-file "$netrc" -o "$LOG/push.body" -w '%{http_code}' -X PUT \
    -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$IMG/manifest.json" \
    "$url/v2/$repo/manifests/$tag" 2>>"$LOG/push")
  [ "$code" = 201 ]
}
push_image private "$PRIV" team/app 1 || die "push to the private registry" "see the push log" "$LOG/push"
ok "image pushed to $PRIV/team/app:1 through the registry API"
push_image mirror "$MIRROR" library/tiny 1 || die "push to the mirror" "see the push log" "$LOG/push"
ok "image pushed to the mirror as library/tiny:1"

# ---------------------------------------------------------------- containerd
# ctr resolves and authenticates on the client side, so the hosts.toml files are
# given to each pull with --hosts-dir; config_path tells the CRI plugin the same
# directory, as a node is configured (the CRI plugin is off: no kubelet here).
CERTS=$WORK/certs.d
mkdir -p "$CERTS/docker.io"
cat >"$CERTS/docker.io/hosts.toml" <<EOF
# Every docker.io pull goes to the mirror; server is the mirror too, so a miss
# never leaves the machine.
server = "http://$MIRROR"

[host."http://$MIRROR"]
  capabilities = ["pull", "resolve"]
EOF
CTRD=$WORK/containerd
mkdir -p "$CTRD/root" "$CTRD/state" "$CTRD/opt"
cat >"$CTRD/config.toml" <<EOF
version = 2
root = "$CTRD/root"
state = "$CTRD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$SOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD/opt"

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "$CERTS"
EOF
TMPDIR=$WORK/tmp containerd --config "$CTRD/config.toml" >"$LOG/containerd" 2>&1 &
PIDS+=($!)
ctr() { command ctr --address "$SOCK" "$@"; }
for ((i = 0; i < 100; i++)); do
  ctr version >/dev/null 2>&1 && break
  sleep 0.1
done
ctr version >/dev/null 2>&1 || die containerd "did not come up on $SOCK" "$LOG/containerd"
# overlayfs when the kernel mounts it here and the plugin loaded, else native.
SNAP=native
probe=$WORK/tmp/overlay-probe
mkdir -p "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
  umount "$probe/merged"
  ctr plugins ls 2>/dev/null | awk '$2 == "overlayfs" && $NF == "ok" { found = 1 } END { exit !found }' && SNAP=overlayfs
fi
ok "containerd $(command ctr --version | awk '{print $3}') on its own socket, root and state ($SNAP snapshotter)"

# ---------------------------------------------------------------- helpers
NS=0
# Pulls REF with USER:PASS (or none, when empty) into a fresh namespace; the
# output goes to $LOG/pull-N. Sets PULL_LOG, PULL_NS. ctr takes the password
# in its argv (its only way without a terminal): fine for random passwords
# that live for one run, never for real ones.
pull() { # REF [USER:PASS]
  NS=$((NS + 1))
  PULL_NS=check-$NS PULL_LOG=$LOG/pull-$NS
  local auth=()
  [ -n "${2:-}" ] && auth=(--user "$2")
  ctr -n "$PULL_NS" images pull --plain-http --hosts-dir "$CERTS" --snapshotter "$SNAP" "${auth[@]}" "$1" \
    >"$PULL_LOG" 2>&1
}
last_line() { grep -v '^\s*$' "$1" | tail -n 1 | cut -c1-200; }
# pull_ok NAME REF USER:PASS: the pull succeeds and holds the pushed manifest.
pull_ok() {
  if ! pull "$2" "$3"; then
    fail "$1" "pull failed: $(last_line "$PULL_LOG")"
  elif ! ctr -n "$PULL_NS" images ls 2>/dev/null | grep -F "$2" | grep -qF "$MANIFEST_DIGEST"; then
    fail "$1" "pull exited 0 but containerd has no $2 at $MANIFEST_DIGEST"
  else
    ok "$1"
    return 0
  fi
  return 1
}
# Removes a pulled image and collects its blobs, so that the next pull fetches
# every blob from its registry again instead of finding it in the content store.
forget() { # REF
  ctr -n "$PULL_NS" images rm --sync "$1" >>"$LOG/forget" 2>&1
}
# pull_401 NAME REF [USER:PASS]: the registry turns the pull away as unauthorized.
pull_401() {
  if pull "$2" "${3:-}"; then
    fail "$1" "the pull succeeded"
  elif grep -q '401 Unauthorized' "$PULL_LOG"; then
    ok "$1"
  else
    fail "$1" "failed, but not with 401: $(last_line "$PULL_LOG")"
  fi
}

# Asks the plugin exactly as the kubelet does: the image's normalized name, no
# tag, on stdin; the answer in ANSWER (a secret: never printed).
ask() { # ROOT IMAGE
  ANSWER=$(printf '{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"%s"}' "$2" |
    "$BIN" --credroot "$1" --log-socket "$WORK/no-syslog" 2>>"$LOG/plugin-stderr")
}
# The answer's auth entries in the order the kubelet tries them (its keyring
# sorts the keys in reverse), one per line: key TAB username TAB password.
ENTRIES=()
entries() {
  mapfile -t ENTRIES < <(printf '%s' "$ANSWER" | python3 -c '
import json, sys
auth = json.load(sys.stdin).get("auth", {})
for key in sorted(auth, reverse=True):
    print("%s\t%s\t%s" % (key, auth[key]["username"], auth[key]["password"]))
' 2>>"$LOG/plugin-stderr")
}
entry() { # INDEX FIELD(1 key, 2 user, 3 password)
  printf '%s' "${ENTRIES[$1]:-}" | cut -f"$2"
}
# A credential root as the plugin demands: 0700 directories, 0600 files.
newroot() { mkdir -m 0700 "$SECRET/$1" && printf '%s' "$SECRET/$1"; }
credfile() { # PATH USER PASS
  mkdir -p "$(dirname "$1")" # 0700: the umask
  printf '{"username":"%s","password":"%s","duration":"5m"}\n' "$2" "$3" >"$1" && chmod 0600 "$1"
}
# The kubelet's loop: each entry in order until one pull succeeds. Sets ATTEMPT
# to the 1-based attempt that succeeded, or 0.
pull_like_kubelet() { # REF
  local i
  ATTEMPT=0
  for ((i = 0; i < ${#ENTRIES[@]}; i++)); do
    if pull "$1" "$(entry "$i" 2):$(entry "$i" 3)"; then
      ATTEMPT=$((i + 1))
      return
    fi
  done
}
help=$("$BIN" --help 2>&1)

# ---------------------------------------------------------------- 2. the private registry
ROOT=$(newroot root)
credfile "$ROOT/$PRIV.json" "$PRIV_USER" "$PRIV_PASS"
if ask "$ROOT" "$PRIV/team/app"; then
  entries
  if [ ${#ENTRIES[@]} = 1 ] && [ "$(entry 0 1)" = "$PRIV" ] && [ "$(entry 0 2)" = "$PRIV_USER" ]; then
    ok "plugin answers $PRIV/team/app with one entry keyed $PRIV"
  else
    fail "plugin answer for $PRIV/team/app" "expected one entry keyed $PRIV for $PRIV_USER, got ${#ENTRIES[@]} entries"
  fi
  if pull_ok "pull with the answer's credentials succeeds" "$PRIV/team/app:1" "$(entry 0 2):$(entry 0 3)"; then
    mkdir -p "$WORK/mnt"
    if ctr -n "$PULL_NS" images mount --snapshotter "$SNAP" "$PRIV/team/app:1" "$WORK/mnt" >>"$LOG/mount" 2>&1; then
      if cmp -s "$WORK/mnt/hello.txt" "$IMG/rootfs/hello.txt"; then
        ok "the pulled layer unpacks to the pushed file"
      else
        fail "pulled layer" "hello.txt differs or is missing"
      fi
      ctr -n "$PULL_NS" images unmount --rm "$WORK/mnt" >>"$LOG/mount" 2>&1
    else
      fail "pulled layer" "ctr images mount failed: $(last_line "$LOG/mount")"
    fi
    forget "$PRIV/team/app:1"
  fi
else
  fail "plugin answer for $PRIV/team/app" "plugin exited non-zero: $(last_line "$LOG/plugin-stderr")"
fi
pull_401 "pull with a wrong password fails with 401" "$PRIV/team/app:1" "$PRIV_USER:$WRONG_PASS"
pull_401 "pull without credentials fails with 401" "$PRIV/team/app:1"

# A root with no file for the registry: "no credentials", nothing cached.
EMPTY=$(newroot empty)
NO_CREDS='{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","cacheDuration":"0s"}'
if ask "$EMPTY" "$PRIV/team/app" && [ "$ANSWER" = "$NO_CREDS" ]; then
  ok "a root with no file for $PRIV answers exactly \"no credentials\""
else
  fail "no-credentials answer" "plugin did not answer exactly $NO_CREDS (stderr: $(last_line "$LOG/plugin-stderr"))"
fi
pull_401 "the anonymous pull the kubelet then makes fails with 401" "$PRIV/team/app:1"

# After put (issue 13) writes the file, the next request answers and pulls.
if grep -qw put <<<"$help"; then
  if printf '%s\n' "$PRIV_PASS" | "$BIN" put --credroot "$EMPTY" --username "$PRIV_USER" "$PRIV" \
    >>"$LOG/put" 2>&1; then
    ok "put writes the registry's credentials"
    if ask "$EMPTY" "$PRIV/team/app"; then
      entries
      pull_ok "after put, the next pull succeeds" "$PRIV/team/app:1" "$(entry 0 2):$(entry 0 3)" &&
        forget "$PRIV/team/app:1"
    else
      fail "after put" "plugin exited non-zero: $(last_line "$LOG/plugin-stderr")"
    fi
  else
    fail "put" "exited non-zero: $(last_line "$LOG/put")"
  fi
else
  skip put "the binary has no put command yet"
fi

# ---------------------------------------------------------------- 3. the mirror
# Requests the mirror answered 200 for library/tiny: manifest and blobs (its
# access log says 401 for any it turned away).
mirror_log_200s() { grep -cE '"(GET|HEAD) /v2/library/tiny/(manifests|blobs)/[^ ]* HTTP/1.1" 200 ' "$LOG/registry-mirror"; }
pull_401 "docker.io without credentials goes to the mirror and fails with 401" "docker.io/library/tiny:1"

MROOT=$(newroot mirror-plain)
credfile "$MROOT/docker.io.json" "$MIRROR_USER" "$MIRROR_PASS"
if ask "$MROOT" "docker.io/library/tiny"; then
  entries
  if [ ${#ENTRIES[@]} = 1 ] && [ "$(entry 0 1)" = docker.io ]; then
    ok "plugin answers docker.io/library/tiny with one entry keyed docker.io"
  else
    fail "plugin answer for docker.io/library/tiny" "expected one entry keyed docker.io, got ${#ENTRIES[@]} entries"
  fi
  before=$(mirror_log_200s)
  pull_ok "docker.io/library/tiny pulled through hosts.toml with the answer's credentials" \
    "docker.io/library/tiny:1" "$(entry 0 2):$(entry 0 3)" && forget "docker.io/library/tiny:1"
  # The manifest, the config and the layer: 3 requests at least.
  if [ $(($(mirror_log_200s) - before)) -ge 3 ]; then
    ok "the mirror served that pull (manifest and blobs) to an authenticated client"
  else
    fail "mirror access log" "fewer than 3 authenticated requests for library/tiny reached the mirror"
  fi
else
  fail "plugin answer for docker.io/library/tiny" "plugin exited non-zero: $(last_line "$LOG/plugin-stderr")"
fi

# Mirror files (issue 20): the mirror's credentials first, then the upstream's.
mirror_case() { # NAME MIRROR_FILE_PASS UPSTREAM_USER UPSTREAM_PASS EXPECTED_ATTEMPT
  local root
  root=$(newroot "mirror-$1")
  mkdir -m 0700 "$root/mirrors"
  printf '{"mirror":"%s","then":"upstream"}\n' "$MIRROR" >"$root/mirrors/docker.io.json"
  chmod 0600 "$root/mirrors/docker.io.json"
  credfile "$root/$MIRROR.json" "$MIRROR_USER" "$2"
  credfile "$root/docker.io.json" "$3" "$4"
  if ! ask "$root" "docker.io/library/tiny"; then
    fail "mirrors, $1" "plugin exited non-zero: $(last_line "$LOG/plugin-stderr")"
    return
  fi
  entries
  # Compared here, never printed: the mirror file's credentials first.
  if [ ${#ENTRIES[@]} != 2 ] || [ "$(entry 0 2)" != "$MIRROR_USER" ] || [ "$(entry 0 3)" != "$2" ] ||
    [ "$(entry 1 2)" != "$3" ] || [ "$(entry 1 3)" != "$4" ]; then
    fail "mirrors, $1" "expected two entries, the mirror's credentials then the upstream's; got ${#ENTRIES[@]} entries"
    return
  fi
  pull_like_kubelet "docker.io/library/tiny:1"
  [ "$ATTEMPT" != 0 ] && forget "docker.io/library/tiny:1"
  if [ "$ATTEMPT" = "$5" ]; then
    ok "mirrors, $1: the pull succeeds on attempt $5"
  else
    fail "mirrors, $1" "expected success on attempt $5, got attempt $ATTEMPT (0: none)"
  fi
}
if grep -qw mirrors <<<"$help"; then
  mirror_case "mirror credentials right" "$MIRROR_PASS" upstream-robot "$UPSTREAM_PASS" 1
  # The fallback is the upstream's entry; hosts.toml sends it to the mirror too.
  mirror_case "mirror credentials wrong, fallback right" "$WRONG_PASS" "$MIRROR_USER" "$MIRROR_PASS" 2
else
  skip mirrors "the binary has no mirror files yet (issue 20)"
fi

# ---------------------------------------------------------------- 4. no password printed
# Everything the run captured, except the credential roots and netrc files that
# hold the passwords by design.
leaks=$(grep -rlF -D skip -f "$SECRETS" "$WORK" ${SOCKDIR:+"$SOCKDIR"} 2>/dev/null | grep -vF "$SECRET/")
searched=$(find "$WORK" -type f -not -path "$SECRET/*" | wc -l)
if [ -z "$leaks" ]; then
  ok "no password in any log or output ($searched files searched)"
else
  fail "password leaked" "found in $(printf '%s' "$leaks" | tr '\n' ' ')"
fi

say "took ${SECONDS}s (${install_seconds}s installing)"
summary
[ "$failed" = 0 ]
