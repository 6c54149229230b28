#!/usr/bin/env bash
# A small mutation check over the guards: each mutant below breaks one guard (a literal text
# replacement in one file), the tests that should notice it run, and the file is restored. A
# mutant the tests miss is a SURVIVOR: a guard no test holds. Not part of the default test run.
#
#   scripts/mutants.sh            every mutant, each against the tests named with it
#   scripts/mutants.sh --full     every mutant against the whole suite (slow)
#   scripts/mutants.sh csr        only mutants whose description contains "csr"
#
# Exit status: 0 when every mutant was killed, 1 with survivors, 2 when a mutant no longer
# applies (its text is not found exactly once: the code moved, update the list).
set -euo pipefail
cd "$(dirname "$0")/.."

full=false
filter=""
for arg in "$@"; do
    case "$arg" in
        --full) full=true ;;
        -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
        *) filter="$arg" ;;
    esac
done

files=(src/pki/sign.rs src/cluster/csr.rs src/cluster/rbac.rs src/commands/names.rs
    src/kubeconfig/write.rs src/kubeconfig/edit.rs)
if ! git diff --quiet -- "${files[@]}"; then
    echo "error: the guarded files have uncommitted changes; commit or stash them first" >&2
    exit 2
fi

backup=$(mktemp -d)
current=""
restore() {
    if [[ -n "$current" ]]; then
        cp "$backup/original" "$current"
        current=""
    fi
}
trap 'restore; rm -rf "$backup"' EXIT
trap 'restore; exit 130' INT TERM

killed=0 survived=0 stale=0 unviable=0
survivors=()

# mutant DESCRIPTION FILE FROM TO -- CARGO-TEST-ARGS...
mutant() {
    local what=$1 file=$2 from=$3 to=$4
    shift 5
    [[ -z "$filter" || "$what" == *"$filter"* ]] || return 0
    cp "$file" "$backup/original"
    current=$file
    if ! python3 - "$file" "$from" "$to" <<'EOF'; then
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(1)
open(path, "w").write(text.replace(old, new))
EOF
        restore
        echo "STALE     $what ($file: text not found exactly once)"
        stale=$((stale + 1))
        return 0
    fi
    local args=("$@")
    $full && args=()
    local started=$SECONDS
    if cargo test --locked -q "${args[@]}" > "$backup/log" 2>&1; then
        echo "SURVIVED  $what ($((SECONDS - started)) s)"
        survived=$((survived + 1))
        survivors+=("$what")
    elif grep -q '^error\[E[0-9]*\]\|could not compile' "$backup/log"; then
        echo "UNVIABLE  $what (does not compile)"
        unviable=$((unviable + 1))
    else
        echo "killed    $what ($((SECONDS - started)) s)"
        killed=$((killed + 1))
    fi
    restore
}

sign=src/pki/sign.rs
mutant "sign: a CA certificate" $sign \
    '.append_extension(BasicConstraints::new().critical().build()' \
    '.append_extension(BasicConstraints::new().critical().ca().build()' \
    -- --lib pki::sign
mutant "sign: codeSigning in the EKU" $sign \
    '            .client_auth()' '            .client_auth().code_signing()' \
    -- --test cli every_key_type
mutant "sign: serverAuth in the EKU" $sign \
    '            .client_auth()' '            .client_auth().server_auth()' \
    -- --lib pki::sign
mutant "sign: key encipherment for EC keys" $sign \
    '    if rsa {' '    if true {' \
    -- --lib pki::sign
mutant "sign: outlives the CA" $sign \
    'if wanted > ca_end {' 'if false {' \
    -- --lib pki::sign

csr=src/cluster/csr.rs
mutant "csr: approves a request that is not ours" $csr \
    'if csr.spec.request.0 != req.csr_pem {' 'if false {' \
    -- --test cli hostile_cluster
mutant "csr: approves a changed signer" $csr \
    'if csr.spec.signer_name != SIGNER {' 'if false {' \
    -- --lib cluster::csr
mutant "csr: approves a decided request" $csr \
    '.is_some_and(|c| !c.is_empty())' '.is_some_and(|c| c.is_empty() && !c.is_empty())' \
    -- --lib cluster::csr
mutant "csr: accepts a certificate for another key" $csr \
    'if spki != req.public_key_der {' 'if false {' \
    -- --test cli hostile_cluster
mutant "csr: accepts another CN" $csr \
    'if info.common_name.as_deref() != Some(req.user) {' 'if false {' \
    -- --test cli hostile_cluster
mutant "csr: accepts other groups" $csr \
    'if got != want {' 'if false {' \
    -- --test cli hostile_cluster
mutant "csr: ignores Denied" $csr \
    '"Denied" => {' '"Denied" if false => {' \
    -- --test cli hostile_cluster::a_denied
mutant "csr: drops the Denied reason" $csr \
    'return Err(ClusterError::Denied {
                    name: name.into(),
                    reason,' \
    'return Err(ClusterError::Denied {
                    name: name.into(),
                    reason: { drop(reason); String::new() },' \
    -- --test cli hostile_cluster::a_denied
mutant "csr: ignores Failed" $csr \
    '"Failed" => {' '"Failed" if false => {' \
    -- --test cli hostile_cluster::a_failed
mutant "csr: drops the Failed reason and message" $csr \
    'return Err(ClusterError::Failed {
                    name: name.into(),
                    reason,
                    message,' \
    'return Err(ClusterError::Failed {
                    name: name.into(),
                    reason: { drop((reason, message)); String::new() },
                    message: String::new(),' \
    -- --test cli hostile_cluster::a_failed
mutant "csr: a too short expiration is sent" $csr \
    'if seconds < MIN_EXPIRATION {' 'if false {' \
    -- --test cli expiration_below_the_api_minimum
mutant "csr: the CSR object is left behind" $csr \
    'if !req.keep_csr {' 'if false {' \
    -- --test cli through_the_csr_api
mutant "csr: a predictable name" $csr \
    'format!("certuser-{clean}-{suffix}")' 'format!("certuser-{clean}")' \
    -- --test cli csr_names_are_unique

rbac=src/cluster/rbac.rs
mutant "rbac: binding again is not idempotent" $rbac \
    'let ours = existing_ref == &role_ref' 'let ours = false && existing_ref == &role_ref' \
    -- --test cli through_the_csr_api
mutant "rbac: changes someone else's binding" $rbac \
    'return if ours {' 'return if true {' \
    -- --test cli conflicting_binding
mutant "rbac: any user in the binding counts as ours" $rbac \
    's.kind == "User" && s.name == user' 's.kind == "User"' \
    -- --test cli conflicting_binding
mutant "rbac: the check creates the binding" $rbac \
    '    if !create {' '    if false {' \
    -- --test cli dry_run_shows_the_api_objects

names=src/commands/names.rs
mutant "names: empty user" $names \
    'if name.trim().is_empty() {' 'if false {' \
    -- --lib commands::names
mutant "names: path separators" $names \
    "if name.contains(['/', '\\\\']) || name == \".\" || name == \"..\" {" 'if false {' \
    -- --test cli invalid_user_names
mutant "names: control characters" $names \
    'if name.chars().any(char::is_control) || name != name.trim() {' 'if false {' \
    -- --lib commands::names
mutant "names: CN longer than 64" $names \
    'if name.len() > 64 {' 'if name.len() > 640 {' \
    -- --lib commands::names
mutant "names: system: users" $names \
    'if name.starts_with("system:") && !allow_system {' 'if false {' \
    -- --test cli invalid_user_names
mutant "names: system:masters" $names \
    'if group == "system:masters" && !allow_masters {' 'if false {' \
    -- --test cli invalid_user_names
mutant "names: --allow-system-masters ignored" $names \
    'if group == "system:masters" && !allow_masters {' 'if group == "system:masters" {' \
    -- --test cli invalid_user_names
mutant "names: invalid groups" $names \
    'if group.trim().is_empty() || group.chars().any(char::is_control) || group.len() > 64 {' \
    'if false {' \
    -- --lib commands::names

write=src/kubeconfig/write.rs
mutant "write: ignores a held lock" $write \
    '.create_new(true)
            .mode(0o600)
            .open(&lock)' \
    '.create(true)
            .mode(0o600)
            .open(&lock)' \
    -- --test cli kubectl_is_refused_while_we_hold_the_lock
mutant "write: gives up on a held lock at once" $write \
    'if start.elapsed() >= timeout {' 'if true {' \
    -- --test cli kubectl_is_refused_while_we_hold_the_lock
mutant "write: forgets the mode of an existing file" $write \
    'file.set_permissions(fs::Permissions::from_mode(mode))?;' \
    'file.set_permissions(fs::Permissions::from_mode(0o644))?;' \
    -- --lib kubeconfig::write
mutant "write: a new folder is not private" $write \
    '.recursive(true)
            .mode(0o700)' \
    '.recursive(true)
            .mode(0o755)' \
    -- --lib kubeconfig::write
mutant "write: new files world-readable" $write \
    '.unwrap_or(0o600);' '.unwrap_or(0o644);' \
    -- --lib kubeconfig::write
mutant "write: replaces a symlink" $write \
    'Ok(meta) if meta.file_type().is_symlink() => {' 'Ok(meta) if false && meta.file_type().is_symlink() => {' \
    -- --lib kubeconfig::write
mutant "write: overwrites a standalone file" $write \
    'if path.exists() && !overwrite {' 'if false {' \
    -- --lib kubeconfig::write
mutant "write: not atomic (no rename)" $write \
    'fs::rename(&tmp, &path)?;' 'fs::copy(&tmp, &path)?; fs::remove_file(&tmp)?;' \
    -- --lib kubeconfig::write

edit=src/kubeconfig/edit.rs
mutant "edit: an entry is duplicated instead of edited where defined" $edit \
    'if let Some(index) = found {' 'if let Some(index) = found.filter(|_| false) {' \
    -- --test cli an_entry_is_modified_in_the_file_that_defines_it
mutant "edit: remove only from the first file" $edit \
    '        for doc in &mut self.docs {
            if let Some(list) = doc' \
    '        for doc in self.docs.iter_mut().take(1) {
            if let Some(list) = doc' \
    -- --lib kubeconfig::edit
# Not listed: set_current_context's explicit-file branch, whose mutant is equivalent (with an
# explicit file, default_write_file is that file too).
mutant "edit: a removal is not written" $edit \
    '                    doc.changed = true;
                    removed = true;' \
    '                    removed = true;' \
    -- --test cli remove_takes_the_user

echo
echo "mutants: $killed killed, $survived survived, $unviable unviable, $stale stale"
for s in "${survivors[@]}"; do
    echo "  survivor: $s"
done
[[ $stale -eq 0 ]] || exit 2
[[ $survived -eq 0 ]] || exit 1
