#!/usr/bin/env bash
# Whole-process benchmarks: `kubectl certuser` against the manual recipes it replaces, each
# pair timed by hyperfine in the same run, printed as medians and ratios (see BENCHMARKS.md).
#
#   scripts/bench.sh            every row (a few minutes on 2 cores)
#   BENCH_RUNS=5 scripts/bench.sh   fewer runs per command
#   BENCH_ONLY=list scripts/bench.sh   one group: help keygen list bulk one csr remote big scale
#   BENCH_RTT_MS=50 scripts/bench.sh   the remote group's round trip (default 20 ms)
#   BENCH_NO_BUILD=1 scripts/bench.sh  use the binaries already built
#   BENCH_RSA_USERS=20 scripts/bench.sh  fewer RSA users in the parallel key generation row
#   BENCH_OPENSSL=system scripts/bench.sh  the default build (system libssl), not the release one
#
# Needs hyperfine (Debian package; installed here when missing and run as root), openssl and
# the real kubectl. Nothing outside a temporary folder is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if ! command -v hyperfine >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine
    else
        echo "scripts/bench.sh needs hyperfine: sudo apt-get install hyperfine" >&2
        exit 1
    fi
fi
for tool in openssl kubectl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "scripts/bench.sh needs $tool" >&2; exit 1; }
done

RUNS=${BENCH_RUNS:-10}
ONLY=${BENCH_ONLY:-all}
# What is measured is what krew installs: scripts/release.sh's build, OpenSSL linked in
# (--features vendored-openssl). BENCH_OPENSSL=system measures the default build instead, on the
# system's libssl. The fake API server and the key generation floor are the default build either
# way: the judges do not change with what is judged.
OPENSSL=${BENCH_OPENSSL:-vendored}
if [[ -z ${BENCH_NO_BUILD:-} ]]; then
    cargo build --release --locked -q
    cargo bench --no-run --locked -q 2>/dev/null
    if [[ $OPENSSL == vendored ]]; then
        cargo build --release --locked -q --features vendored-openssl --target-dir "$ROOT/target/vendored"
    fi
fi
case $OPENSSL in
    vendored) BIN=$ROOT/target/vendored/release/kubectl-certuser ;;
    system) BIN=$ROOT/target/release/kubectl-certuser ;;
    *) echo "BENCH_OPENSSL is vendored or system, not $OPENSSL" >&2; exit 2 ;;
esac
# The newest executable of a bench target (cargo names it TARGET-HASH).
newest() { find "$ROOT"/target/release/deps -maxdepth 1 -type f -executable -name "$1-*" -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -1 | cut -d' ' -f2; }
SERVER_BIN=$(newest fake_apiserver)
KEYGEN_BIN=$(newest keygen)

W=$(mktemp -d)
SERVER_PID= PROXY_PID=
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
    [[ -n $PROXY_PID ]] && kill "$PROXY_PID" 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
export HOME=$W/home NO_COLOR=1
mkdir -p "$HOME"

want() { [[ $ONLY == all || " $ONLY " == *" $1 "* ]]; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
case $OPENSSL in
    vendored) echo "certuser: release build, OpenSSL $(sed -n '/^name = "openssl-src"/{n;s/^version = ".*+\(.*\)"/\1/p}' Cargo.lock) linked in" ;;
    system) echo "certuser: default build, the system's $(openssl version | cut -d' ' -f1-2)" ;;
esac
echo "kubectl $(kubectl version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])'), $(openssl version | cut -d' ' -f1-2), hyperfine $(hyperfine --version | cut -d' ' -f2), $RUNS runs per command"
echo

# hyperfine's median (seconds) of command N in a JSON export.
median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]['median'])" "$1" "$2"; }
ms() { python3 -c "print(f'{float(\"$1\")*1000:.1f} ms')"; }
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }

# bench NAME "label A" "command A" "label B" "command B" [prepare]: B is the alternative.
# Prints both medians and A's speed-up over B (B / A).
bench() {
    local name=$1 la=$2 ca=$3 lb=$4 cb=$5 prep=${6:-true}
    hyperfine -N --style none --warmup 1 --runs "$RUNS" --prepare "$prep" \
        --export-json "$W/$name.json" "$ca" "$cb" >/dev/null 2>"$W/$name.err" || {
        cat "$W/$name.err" >&2; return 1; }
    local a b
    a=$(median "$W/$name.json" 0)
    b=$(median "$W/$name.json" 1)
    printf '  %-52s %10s\n' "$la" "$(ms "$a")"
    printf '  %-52s %10s\n' "$lb" "$(ms "$b")"
    printf '  %-52s %9sx\n' "ratio (second / first)" "$(ratio "$b" "$a")"
}

# One command alone: its median.
single() {
    local name=$1 label=$2 cmd=$3 prep=${4:-true}
    hyperfine -N --style none --warmup 1 --runs "$RUNS" --prepare "$prep" \
        --export-json "$W/$name.json" "$cmd" >/dev/null 2>"$W/$name.err" || {
        cat "$W/$name.err" >&2; return 1; }
    printf '  %-52s %10s\n' "$label" "$(ms "$(median "$W/$name.json" 0)")"
}

# Peak memory of one run, in MiB.
peak_mib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f MiB", $1/1024}'; }

# --- fixtures -------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=kubernetes -days 3650 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
    -keyout "$W/ca.key" -out "$W/ca.crt" 2>/dev/null
CA=(--ca-cert "$W/ca.crt" --ca-key "$W/ca.key")

# A kubeconfig as kubectl writes it, cluster unreachable (nothing listens on port 1).
seed() {
    local kc=$1
    KUBECONFIG=$kc kubectl config set-cluster kubernetes --server https://127.0.0.1:1 --embed-certs --certificate-authority "$W/ca.crt" >/dev/null
    KUBECONFIG=$kc kubectl config set-credentials admin --token t >/dev/null
    KUBECONFIG=$kc kubectl config set-context admin@kubernetes --cluster kubernetes --user admin >/dev/null
    KUBECONFIG=$kc kubectl config use-context admin@kubernetes >/dev/null
}
seed "$W/seed.kc"

# kubeconfigs of N certificate users (RSA 2048, embedded, one context each), in kubectl's layout.
cp "$W/seed.kc" "$W/one.kc"
"$BIN" add sample "${CA[@]}" --no-check -q --kubeconfig "$W/one.kc" >/dev/null 2>&1
big() {
    python3 - "$W/one.kc" "$1" "$2" <<'EOF'
import json, subprocess, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
view = json.loads(subprocess.check_output(["kubectl", "config", "view", "--raw", "-o", "json", "--kubeconfig", src]))
sample = next(u for u in view["users"] if u["name"] == "sample")["user"]
cluster = view["clusters"][0]
with open(out, "w") as f:
    f.write("apiVersion: v1\nclusters:\n- cluster:\n")
    f.write(f"    certificate-authority-data: {cluster['cluster']['certificate-authority-data']}\n")
    f.write(f"    server: {cluster['cluster']['server']}\n  name: kubernetes\ncontexts:\n")
    for i in range(n):
        f.write(f"- context:\n    cluster: kubernetes\n    user: user{i:05}\n  name: user{i:05}@kubernetes\n")
    f.write("current-context: user00000@kubernetes\nkind: Config\npreferences: {}\nusers:\n")
    for i in range(n):
        f.write(f"- name: user{i:05}\n  user:\n    client-certificate-data: {sample['client-certificate-data']}\n")
        f.write(f"    client-key-data: {sample['client-key-data']}\n")
EOF
}
for n in 100 1000 10000; do big "$n" "$W/big$n.kc"; done
KUBECONFIG=$W/one.kc kubectl config view --raw -o jsonpath='{.users[?(@.name=="sample")].user.client-certificate-data}' | base64 -d >"$W/sample.crt"
KUBECONFIG=$W/one.kc kubectl config view --raw -o jsonpath='{.users[?(@.name=="sample")].user.client-key-data}' | base64 -d >"$W/sample.key"

# The seed recipe (3 openssl + 2 kubectl config), as a script: KEYTYPE USER KUBECONFIG.
cat >"$W/seed-recipe.sh" <<'EOF'
set -e
kind=$1 user=$2 dir=$(dirname "$3")
export KUBECONFIG=$3
case $kind in
    rsa) openssl genrsa -out "$dir/$user.key" 2048 2>/dev/null ;;
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$user.key" ;;
esac
openssl req -new -key "$dir/$user.key" -out "$dir/$user.csr" -subj "/CN=$user/O=dev1"
openssl x509 -req -in "$dir/$user.csr" -CA "$CA_CRT" -CAkey "$CA_KEY" -CAcreateserial -out "$dir/$user.crt" -days 365 2>/dev/null
kubectl config set-credentials "$user" --client-certificate="$dir/$user.crt" --client-key="$dir/$user.key" --embed-certs >/dev/null
kubectl config set-context "$user@kubernetes" --cluster=kubernetes --namespace=dev1 --user="$user" >/dev/null
EOF
export CA_CRT=$W/ca.crt CA_KEY=$W/ca.key

# --- rows -------------------------------------------------------------------------------------
if want help; then
    echo "start-up: --help"
    bench help "kubectl certuser --help" "$BIN --help" "kubectl config --help" "kubectl config --help"
    echo
fi

if want keygen; then
    echo "key generation alone, in process (the floor; cargo bench --bench keygen):"
    BENCH_ROUNDS=${BENCH_KEYGEN_ROUNDS:-20} "$KEYGEN_BIN" | sed 1d
    echo
fi

if want list; then
    echo "list, one cluster, N certificate users with a context each (target: 1,000 users < 100 ms, linear):"
    for n in 100 1000 10000; do
        single "list$n" "list, $n users ($(du -h "$W/big$n.kc" | cut -f1))" "$BIN list --kubeconfig $W/big$n.kc"
    done
    echo "  growth 100 -> 1,000: $(ratio "$(median "$W/list1000.json" 0)" "$(median "$W/list100.json" 0)")x, 1,000 -> 10,000: $(ratio "$(median "$W/list10000.json" 0)" "$(median "$W/list1000.json" 0)")x (10x is linear)"
    echo "  peak memory, 1,000 users: $(peak_mib "$BIN" list --kubeconfig "$W/big1000.kc")"
    echo
fi

users() { local n=$1 p=$2; for ((i = 0; i < n; i++)); do printf '%s%04d ' "$p" "$i"; done; }

if want bulk; then
    echo "add 100 users in one call, local CA, the cluster unreachable:"
    bench bulk-ec "ECDSA P-256, access check on (target < 0.5 s)" "$BIN add $(users 100 u) --key-type ecdsa-p256 ${CA[*]} -q --kubeconfig $W/bulk.kc" \
        "ECDSA P-256, --no-check" "$BIN add $(users 100 u) --key-type ecdsa-p256 ${CA[*]} -q --no-check --kubeconfig $W/bulk.kc" \
        "cp $W/seed.kc $W/bulk.kc"
    RUNS_SAVED=$RUNS RUNS=$(( RUNS < 3 ? RUNS : 3 ))
    n=${BENCH_RSA_USERS:-100}
    bench bulk-rsa "$n users, RSA 2048, --no-check, every core" "$BIN add $(users "$n" u) ${CA[*]} -q --no-check --kubeconfig $W/bulk.kc" \
        "$n users, RSA 2048, --no-check, pinned to one core (taskset)" "taskset -c 0 $BIN add $(users "$n" u) ${CA[*]} -q --no-check --kubeconfig $W/bulk.kc" \
        "cp $W/seed.kc $W/bulk.kc"
    RUNS=$RUNS_SAVED
    echo "  (target: every core <= 0.6 x one core, on 2 cores)"
    echo
fi

if want one; then
    echo "add one user, local CA, whole process, vs the seed recipe (3 openssl + 2 kubectl config):"
    bench one-rsa "certuser add, RSA 2048, --no-check" "$BIN add john -g dev1 -n dev1 --no-check -q ${CA[*]} --kubeconfig $W/one-run.kc" \
        "seed recipe, RSA 2048 (target >= 2.5x)" "bash $W/seed-recipe.sh rsa john $W/one-run.kc" "cp $W/seed.kc $W/one-run.kc"
    bench one-ec "certuser add, ECDSA P-256, --no-check" "$BIN add john -g dev1 -n dev1 --no-check -q --key-type ecdsa-p256 ${CA[*]} --kubeconfig $W/one-run.kc" \
        "seed recipe, ECDSA P-256 (target >= 20x)" "bash $W/seed-recipe.sh ec john $W/one-run.kc" "cp $W/seed.kc $W/one-run.kc"
    bench one-check "certuser add, ECDSA P-256, --no-check" "$BIN add john -q --no-check --key-type ecdsa-p256 ${CA[*]} --kubeconfig $W/one-run.kc" \
        "certuser add, ECDSA P-256, check on, unreachable" "$BIN add john -q --key-type ecdsa-p256 ${CA[*]} --kubeconfig $W/one-run.kc" "cp $W/seed.kc $W/one-run.kc"
    echo "  (the check's own cost is the difference; target: --no-check <= 10 ms above --help + key generation)"
    echo
fi

# The fake API server (its admin kubeconfig in csr-admin.kc) and the docs recipe, for the csr
# and remote groups.
csr_fixtures() {
    [[ -n $SERVER_PID ]] && return
    exec 3> >("$SERVER_BIN" --serve "$W/csr-admin.kc" >"$W/server.url")
    SERVER_PID=$!
    for _ in $(seq 100); do [[ -s $W/server.url ]] && break; sleep 0.1; done
    # The docs recipe, verbatim but for the key type and --validate=false: KEYTYPE USER KUBECONFIG.
    cat >"$W/docs-recipe.sh" <<'EOF'
set -e
kind=$1 user=$2 dir=$(dirname "$3")
export KUBECONFIG=$3
case $kind in
    rsa) openssl genrsa -out "$dir/$user.key" 2048 2>/dev/null ;;
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$user.key" ;;
esac
openssl req -new -key "$dir/$user.key" -out "$dir/$user.csr" -subj "/CN=$user"
# --validate=false: the fake server serves no OpenAPI document for kubectl to validate against.
cat <<YAML | kubectl apply --validate=false -f - >/dev/null
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: $user
spec:
  request: $(base64 <"$dir/$user.csr" | tr -d '\n')
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages:
  - client auth
YAML
kubectl certificate approve "$user" >/dev/null
until [[ -s $dir/$user.crt ]]; do
    kubectl get csr "$user" -o jsonpath='{.status.certificate}' | base64 -d >"$dir/$user.crt"
done
kubectl config set-credentials "$user" --client-key="$dir/$user.key" --client-certificate="$dir/$user.crt" --embed-certs=true >/dev/null
kubectl config set-context "$user" --cluster=kubernetes --user="$user" >/dev/null
EOF
}

if want csr; then
    echo "add one user via the CSR API vs the Kubernetes docs recipe, both against the fake API server:"
    csr_fixtures
    reset="bash -c 'cp $W/csr-admin.kc $W/csr-run.kc && rm -f $W/myuser.crt && kubectl delete csr myuser --ignore-not-found --kubeconfig $W/csr-admin.kc >/dev/null'"
    bench csr-rsa "certuser add, RSA 2048 (access check on)" "$BIN add myuser -q --kubeconfig $W/csr-run.kc" \
        "docs recipe, RSA 2048 (target >= 3.5x)" "bash $W/docs-recipe.sh rsa myuser $W/csr-run.kc" "$reset"
    bench csr-ec "certuser add, ECDSA P-256 (access check on)" "$BIN add myuser -q --key-type ecdsa-p256 --kubeconfig $W/csr-run.kc" \
        "docs recipe, ECDSA P-256 (target >= 10x)" "bash $W/docs-recipe.sh ec myuser $W/csr-run.kc" "$reset"
    bench csr-ec-nocheck "certuser add, ECDSA P-256, --no-check" "$BIN add myuser -q --no-check --key-type ecdsa-p256 --kubeconfig $W/csr-run.kc" \
        "docs recipe, ECDSA P-256" "bash $W/docs-recipe.sh ec myuser $W/csr-run.kc" "$reset"
    echo
fi

if want remote; then
    # A cluster across a network: every byte between the commands and the fake API server
    # delayed by half the round trip each way (scripts/delay-proxy.py).
    rtt=${BENCH_RTT_MS:-20}
    echo "add one user via the CSR API, the API server ${rtt} ms away (round trip), vs the docs recipe:"
    csr_fixtures
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    python3 "$ROOT/scripts/delay-proxy.py" "$port" "$(sed 's#https://##' "$W/server.url")" \
        "$(python3 -c "print($rtt/2)")" &
    PROXY_PID=$!
    sed "s#$(cat "$W/server.url")#https://127.0.0.1:$port#" "$W/csr-admin.kc" >"$W/remote-admin.kc"
    until kubectl --kubeconfig "$W/remote-admin.kc" get --raw /version >/dev/null 2>&1; do sleep 0.1; done
    reset="bash -c 'cp $W/remote-admin.kc $W/remote-run.kc && rm -f $W/myuser.crt && kubectl delete csr myuser --ignore-not-found --kubeconfig $W/csr-admin.kc >/dev/null'"
    bench remote-ec "certuser add, ECDSA P-256 (access check on)" "$BIN add myuser -q --key-type ecdsa-p256 --kubeconfig $W/remote-run.kc" \
        "docs recipe, ECDSA P-256" "bash $W/docs-recipe.sh ec myuser $W/remote-run.kc" "$reset"
    kill "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=
    echo
fi
[[ -n $SERVER_PID ]] && exec 3>&-

if want big; then
    echo "add one user to a kubeconfig of 10,000 users ($(du -h "$W/big10000.kc" | cut -f1)), --no-check, vs kubectl config set-credentials:"
    bench big "certuser add, RSA 2048, --no-check" "$BIN add newcomer -q --no-check ${CA[*]} --kubeconfig $W/big-run.kc" \
        "kubectl config set-credentials --embed-certs (target >= 20x)" "kubectl config set-credentials newcomer --client-certificate=$W/sample.crt --client-key=$W/sample.key --embed-certs --kubeconfig $W/big-run.kc" \
        "cp $W/big10000.kc $W/big-run.kc"
    cp "$W/big10000.kc" "$W/big-run.kc"
    echo "  peak memory: certuser $(peak_mib "$BIN" add newcomer -q --no-check "${CA[@]}" --kubeconfig "$W/big-run.kc") (target < 150 MiB)," \
        "kubectl $(cp "$W/big10000.kc" "$W/big-run.kc"; peak_mib kubectl config set-credentials newcomer --client-certificate="$W/sample.crt" --client-key="$W/sample.key" --embed-certs --kubeconfig "$W/big-run.kc")"
    echo
fi

if want scale; then
    echo "how cost grows: add one user (--no-check, ECDSA P-256) to a kubeconfig of N users:"
    for n in 100 1000 10000; do
        single "grow$n" "$n users" "$BIN add newcomer -q --no-check --key-type ecdsa-p256 ${CA[*]} --kubeconfig $W/grow.kc" "cp $W/big$n.kc $W/grow.kc"
    done
    echo "how cost grows: add N users in one call (ECDSA P-256, access check on, unreachable):"
    RUNS_SAVED=$RUNS RUNS=$(( RUNS < 5 ? RUNS : 5 ))
    for n in 10 100 1000; do
        single "many$n" "$n users" "$BIN add $(users "$n" m) -q --key-type ecdsa-p256 ${CA[*]} --kubeconfig $W/many.kc" "cp $W/seed.kc $W/many.kc"
    done
    RUNS=$RUNS_SAVED
    echo
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
