//! The bad-input corpus: malformed and adversarial kubeconfigs, PEM and CA problems, hostile
//! names and flags, and API servers that refuse, break or hang. Every case must end with exit 2,
//! an `error:` that names the file, flag or object at fault, and every file in the sandbox
//! byte-identical to before (no key written, no kubeconfig touched, no temp or lock file left).
//! No panic (exit 101) and no hang: the API cases are bounded by `--timeout`.
//!
//! Data files live in tests/fixtures/corpus/ (`make.sh` there regenerates the PEM and CA ones);
//! cases that need something no file can hold (a folder, a 1 GiB file, a server) set it up here.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{Run, Sandbox};
use crate::support::fake_apiserver::faults::{Answer, Fault};
use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus");

/// One bad input and what the error must name.
struct Case {
    /// The kubeconfig fixture copied to the sandbox's `config`.
    kubeconfig: &'static str,
    /// Fixture files copied into the sandbox (the command runs there, so relative names work).
    files: &'static [&'static str],
    args: &'static [&'static str],
    /// Each must appear in stderr (case-insensitive). `{config}` is the kubeconfig's path.
    names: &'static [&'static str],
}

const GOOD: &str = "good.kubeconfig";
const CA: &[&str] = &["good-ca.crt", "good-ca.key"];

/// `add john` signed by the corpus CA, with these extra arguments before the CA flags.
macro_rules! add {
    ($($arg:expr),*) => {
        &["add", "john", $($arg,)* "--no-check", "--key-type", "ecdsa-p256", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"]
    };
}

/// A case per test, so each passes or fails (or is ignored) on its own.
macro_rules! corpus {
    ($( $(#[$attr:meta])* $name:ident: $case:expr; )*) => {
        $( #[test] $(#[$attr])* fn $name() { check(&$case) } )*
        /// Every case's name: the corpus size, and a check that none is counted twice.
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

fn kubeconfig_case(file: &'static str, names: &'static [&'static str]) -> Case {
    Case {
        kubeconfig: file,
        files: CA,
        args: add!(),
        names,
    }
}

fn pem_case(
    files: &'static [&'static str],
    args: &'static [&'static str],
    names: &'static [&'static str],
) -> Case {
    Case {
        kubeconfig: GOOD,
        files,
        args,
        names,
    }
}

corpus! {
    // Malformed and adversarial kubeconfigs: the error names the file (and the entry).
    kubeconfig_unclosed_flow: kubeconfig_case("kubeconfig/unclosed-flow.kubeconfig", &["{config}", "not valid YAML"]);
    kubeconfig_top_level_list: kubeconfig_case("kubeconfig/top-level-list.kubeconfig", &["{config}", "not a YAML mapping"]);
    kubeconfig_top_level_scalar: kubeconfig_case("kubeconfig/top-level-scalar.kubeconfig", &["{config}", "not a YAML mapping"]);
    kubeconfig_users_is_a_map: kubeconfig_case("kubeconfig/users-is-a-map.kubeconfig", &["{config}", "users is not a list"]);
    kubeconfig_clusters_is_a_string: kubeconfig_case("kubeconfig/clusters-is-a-string.kubeconfig", &["{config}", "clusters is not a list"]);
    kubeconfig_entry_without_name: kubeconfig_case("kubeconfig/entry-without-name.kubeconfig", &["{config}", "contexts[0] has no name"]);
    kubeconfig_name_is_a_list: kubeconfig_case("kubeconfig/name-is-a-list.kubeconfig", &["{config}", "users[0] has no name"]);
    kubeconfig_current_context_is_a_map: kubeconfig_case("kubeconfig/current-context-is-a-map.kubeconfig", &["{config}", "current-context"]);
    kubeconfig_duplicate_keys: kubeconfig_case("kubeconfig/duplicate-keys.kubeconfig", &["{config}", "duplicate", "users"]);
    kubeconfig_duplicate_user_names: kubeconfig_case("kubeconfig/duplicate-user-names.kubeconfig", &["{config}", "users[1]", "\"admin\"", "used twice"]);
    kubeconfig_duplicate_cluster_names: kubeconfig_case("kubeconfig/duplicate-cluster-names.kubeconfig", &["{config}", "clusters[1]", "\"kubernetes\"", "used twice"]);
    kubeconfig_user_body_is_a_string: kubeconfig_case("kubeconfig/user-body-is-a-string.kubeconfig", &["{config}", "users[0]", "\"admin\"", "not a mapping"]);
    kubeconfig_context_body_is_a_list: kubeconfig_case("kubeconfig/context-body-is-a-list.kubeconfig", &["{config}", "contexts[0]", "\"admin@kubernetes\"", "not a mapping"]);
    kubeconfig_tab_indented: kubeconfig_case("kubeconfig/tab-indented.kubeconfig", &["{config}", "tab"]);
    kubeconfig_billion_laughs: kubeconfig_case("kubeconfig/alias-bomb.kubeconfig", &["{config}", "not valid YAML"]);
    kubeconfig_100k_deep_nesting: kubeconfig_case("kubeconfig/deep-nesting.kubeconfig", &["{config}", "recursion"]);
    kubeconfig_not_utf8: kubeconfig_case("kubeconfig/not-utf8.kubeconfig", &["{config}", "UTF-8"]);
    kubeconfig_nul_bytes: kubeconfig_case("kubeconfig/nul-bytes.kubeconfig", &["{config}", "not valid YAML"]);
    kubeconfig_explicit_file_missing: Case { kubeconfig: GOOD, files: CA, args: add!("--kubeconfig", "missing.kubeconfig"), names: &["missing.kubeconfig", "does not exist"] };
    kubeconfig_unknown_context: Case { kubeconfig: GOOD, files: CA, args: add!("--context", "nope"), names: &["context \"nope\"", "{config}"] };
    kubeconfig_unknown_cluster: Case { kubeconfig: GOOD, files: CA, args: add!("--cluster", "nope"), names: &["cluster \"nope\"", "{config}"] };
    kubeconfig_user_exists: Case { kubeconfig: GOOD, files: CA, args: &["add", "admin", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["user \"admin\" already exists", "{config}", "--force"] };
    kubeconfig_certificate_data_not_base64: Case { kubeconfig: "kubeconfig/certificate-data-not-base64.kubeconfig", files: &[], args: &["inspect", "admin"], names: &["\"admin\"", "{config}", "client-certificate-data"] };
    kubeconfig_certificate_data_not_a_certificate: Case { kubeconfig: "kubeconfig/certificate-data-not-a-certificate.kubeconfig", files: &[], args: &["inspect", "admin"], names: &["admin", "certificate"] };
    remove_unknown_user: Case { kubeconfig: GOOD, files: &[], args: &["remove", "nobody"], names: &["\"nobody\"", "{config}"] };
    export_unknown_user: Case { kubeconfig: GOOD, files: &[], args: &["export", "nobody"], names: &["\"nobody\"", "{config}"] };

    // PEM problems: the error names the file.
    pem_truncated_certificate: pem_case(&["truncated.crt", "good-ca.key"], &["add", "john", "--no-check", "--ca-cert", "truncated.crt", "--ca-key", "good-ca.key"], &["truncated.crt", "cut short"]);
    pem_der_certificate: pem_case(&["good-ca.der", "good-ca.key"], &["add", "john", "--no-check", "--ca-cert", "good-ca.der", "--ca-key", "good-ca.key"], &["good-ca.der", "DER", "openssl x509 -inform DER"]);
    pem_public_key_as_certificate: pem_case(&["public-key.pem", "good-ca.key"], &["add", "john", "--no-check", "--ca-cert", "public-key.pem", "--ca-key", "good-ca.key"], &["public-key.pem", "holds a PUBLIC KEY"]);
    pem_several_certificates: pem_case(&["two-certs.crt", "good-ca.key"], &["add", "john", "--no-check", "--ca-cert", "two-certs.crt", "--ca-key", "good-ca.key"], &["two-certs.crt", "2 certificates"]);
    pem_csr_as_certificate: pem_case(&["request.csr", "good-ca.key"], &["add", "john", "--no-check", "--ca-cert", "request.csr", "--ca-key", "good-ca.key"], &["request.csr", "holds a CERTIFICATE REQUEST", "not yet signed"]);
    pem_key_as_certificate: pem_case(CA, &["add", "john", "--no-check", "--ca-cert", "good-ca.key", "--ca-key", "good-ca.key"], &["good-ca.key", "holds a PRIVATE KEY", "swapped"]);
    pem_bad_base64_body: pem_case(&["garbage-body.crt", "good-ca.key"], &["add", "john", "--no-check", "--ca-cert", "garbage-body.crt", "--ca-key", "good-ca.key"], &["garbage-body.crt", "damaged"]);
    pem_empty_certificate_file: pem_case(&["empty.pem", "good-ca.key"], &["add", "john", "--no-check", "--ca-cert", "empty.pem", "--ca-key", "good-ca.key"], &["empty.pem", "empty"]);
    pem_certificate_as_key: pem_case(CA, &["add", "john", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.crt"], &["good-ca.crt", "private key", "holds a CERTIFICATE", "swapped"]);
    pem_csr_as_key: pem_case(&["good-ca.crt", "request.csr"], &["add", "john", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "request.csr"], &["request.csr", "private key", "holds a CERTIFICATE REQUEST"]);
    pem_encrypted_key_without_passphrase: pem_case(&["good-ca.crt", "encrypted.key"], &["add", "john", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "encrypted.key"], &["encrypted.key", "CERTUSER_CA_KEY_PASSPHRASE"]);
    pem_missing_certificate_file: pem_case(&["good-ca.key"], &["add", "john", "--no-check", "--ca-cert", "gone.crt", "--ca-key", "good-ca.key"], &["gone.crt"]);
    pem_folder_as_certificate: pem_case(&["good-ca.key"], &["add", "john", "--no-check", "--ca-cert", ".", "--ca-key", "good-ca.key"], &["cannot read ."]);
    inspect_csr_file: pem_case(&["request.csr"], &["inspect", "./request.csr"], &["request.csr", "holds a CERTIFICATE REQUEST", "not yet signed"]);
    inspect_key_file: pem_case(&["good-ca.key"], &["inspect", "./good-ca.key"], &["good-ca.key", "holds a PRIVATE KEY"]);
    pem_der_as_ca_certificate: pem_case(&["good-ca.der", "good-ca.key"], &["add", "john", "--no-check", "--ca-cert", "good-ca.der", "--ca-key", "good-ca.key"], &["good-ca.der", "DER", "openssl x509 -inform DER"]);

    // CA problems: the error names the CA file and what is wrong with it.
    ca_not_a_ca: pem_case(&["not-a-ca.crt", "not-a-ca.key"], &["add", "john", "--no-check", "--ca-cert", "not-a-ca.crt", "--ca-key", "not-a-ca.key"], &["not-a-ca.crt", "not a CA"]);
    ca_expired: pem_case(&["expired-ca.crt", "expired-ca.key"], &["add", "john", "--no-check", "--ca-cert", "expired-ca.crt", "--ca-key", "expired-ca.key"], &["expired-ca.crt", "expired"]);
    ca_not_yet_valid: pem_case(&["future-ca.crt", "future-ca.key"], &["add", "john", "--no-check", "--ca-cert", "future-ca.crt", "--ca-key", "future-ca.key"], &["future-ca.crt", "not valid before"]);
    ca_key_mismatch: pem_case(&["good-ca.crt", "other.key"], &["add", "john", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "other.key"], &["other.key", "good-ca.crt", "does not match"]);
    ca_without_keycertsign: pem_case(&["no-keycertsign.crt", "no-keycertsign.key"], &["add", "john", "--no-check", "--ca-cert", "no-keycertsign.crt", "--ca-key", "no-keycertsign.key"], &["no-keycertsign.crt", "keyCertSign"]);

    // Hostile names and flags: the error names the argument.
    name_path_traversal: Case { kubeconfig: GOOD, files: CA, args: &["add", "../../etc/passwd", "--cert-dir", "certs", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["\"../../etc/passwd\"", "path separators"] };
    name_with_slash: Case { kubeconfig: GOOD, files: CA, args: &["add", "john/evil", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["\"john/evil\""] };
    name_with_newline: Case { kubeconfig: GOOD, files: CA, args: &["add", "john\nadmin", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["john\\nadmin", "control characters"] };
    name_with_terminal_escape: Case { kubeconfig: GOOD, files: CA, args: &["add", "john\u{1b}[31m", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["john\\u{1b}", "control characters"] };
    name_empty: Case { kubeconfig: GOOD, files: CA, args: &["add", "", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["user name is empty"] };
    name_leading_space: Case { kubeconfig: GOOD, files: CA, args: &["add", " john", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["\" john\""] };
    name_5000_characters: Case { kubeconfig: GOOD, files: CA, args: &["add", LONG_NAME, "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["invalid user name", "shorter"] };
    name_system_user: Case { kubeconfig: GOOD, files: CA, args: &["add", "system:admin", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["\"system:admin\"", "--allow-system-user"] };
    group_system_masters: Case { kubeconfig: GOOD, files: CA, args: add!("-g", "system:masters"), names: &["system:masters"] };
    group_empty: Case { kubeconfig: GOOD, files: CA, args: add!("-g", ""), names: &["invalid group \"\""] };
    name_right_to_left_override: Case { kubeconfig: GOOD, files: CA, args: &["add", "jo\u{202e}nhoj", "--no-check", "--ca-cert", "good-ca.crt", "--ca-key", "good-ca.key"], names: &["\\u{202e}"] };
    group_kubeadm_cluster_admins: Case { kubeconfig: GOOD, files: CA, args: add!("-g", "kubeadm:cluster-admins"), names: &["kubeadm:cluster-admins"] };
    flag_duration_one_minute: Case { kubeconfig: GOOD, files: CA, args: add!("--duration", "1m"), names: &["--duration"] };
    flag_days_zero: Case { kubeconfig: GOOD, files: CA, args: add!("--days", "0"), names: &["--days 0"] };
    flag_cert_dir_is_a_file: Case { kubeconfig: GOOD, files: CA, args: add!("--cert-dir", "good-ca.crt"), names: &["good-ca.crt"] };
    export_onto_existing_file: Case { kubeconfig: "kubeconfig/certificate-data-not-a-certificate.kubeconfig", files: &["good-ca.crt"], args: &["export", "admin", "--file", "good-ca.crt"], names: &["good-ca.crt", "--force"] };
}

const LONG_NAME: &str = include_str!("../fixtures/corpus/long-name.txt");

#[test]
fn corpus_has_at_least_forty_cases_each_counted_once() {
    let mut names = CASES.to_vec();
    names.extend(API_CASES);
    names.extend(SETUP_CASES);
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), total, "a case is counted twice");
    assert!(total >= 40, "the corpus has {total} cases");
}

fn check(case: &Case) {
    let sb = Sandbox::new();
    std::fs::copy(Path::new(CORPUS).join(case.kubeconfig), &sb.kubeconfig).unwrap();
    for file in case.files {
        std::fs::copy(Path::new(CORPUS).join(file), sb.path(file)).unwrap();
    }
    refused_unchanged(&sb, case.args, case.names);
}

/// Exit 2, an error naming each of `names`, no panic, and every file as it was.
#[track_caller]
fn refused_unchanged(sb: &Sandbox, args: &[&str], names: &[&str]) -> Run {
    let before = sb.snapshot();
    let run = sb.run(args);
    assert_ne!(run.code, 101, "panicked: {}", run.stderr);
    run.fails_with("");
    // An error is a sentence for a person, not OpenSSL's internal error queue.
    assert!(
        !run.stderr.contains("routines:"),
        "OpenSSL internals in the error:\n{}",
        run.stderr
    );
    for name in names {
        let name = name.replace("{config}", &sb.kubeconfig.display().to_string());
        assert!(
            run.stderr.to_lowercase().contains(&name.to_lowercase()),
            "the error does not name {name:?}:\n{}",
            run.stderr
        );
    }
    let after = sb.snapshot();
    assert!(
        before == after,
        "a refused command changed files: {args:?}\nbefore: {:?}\nafter: {:?}",
        before.iter().map(|f| &f.0).collect::<Vec<_>>(),
        after.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    run
}

// Cases whose input is built here: a folder, a 1 GiB file.
const SETUP_CASES: &[&str] = &["kubeconfig_is_a_folder", "kubeconfig_of_one_gibibyte"];

#[test]
fn kubeconfig_is_a_folder() {
    let sb = Sandbox::new();
    std::fs::create_dir(&sb.kubeconfig).unwrap();
    for file in CA {
        std::fs::copy(Path::new(CORPUS).join(file), sb.path(file)).unwrap();
    }
    refused_unchanged(&sb, add!(), &["{config}", "directory"]);
}

#[test]
fn kubeconfig_of_one_gibibyte() {
    // Sparse: no disk used. Reading it whole would take a gibibyte of memory.
    let sb = Sandbox::new();
    let file = std::fs::File::create(&sb.kubeconfig).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    for f in CA {
        std::fs::copy(Path::new(CORPUS).join(f), sb.path(f)).unwrap();
    }
    // The snapshot would read the gibibyte: compare names, sizes and times instead.
    let listing = || {
        let mut files: Vec<_> = std::fs::read_dir(sb.dir.path())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let meta = e.metadata().unwrap();
                (e.file_name(), meta.len(), meta.modified().unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let before = listing();
    let run = sb.run(add!());
    assert_ne!(run.code, 101, "panicked: {}", run.stderr);
    run.fails_with(&sb.kubeconfig.display().to_string());
    assert!(run.stderr.contains("MiB"), "{}", run.stderr);
    assert_eq!(listing(), before);
}

// API answers: a cluster that refuses, breaks or hangs. `add` through the CSR API.
const API_CASES: &[&str] = &[
    "api_401_unauthorized",
    "api_403_on_create",
    "api_404_no_certificates_api",
    "api_409_already_exists",
    "api_422_invalid",
    "api_500_internal_error",
    "api_malformed_json",
    "api_certificate_for_someone_elses_key",
    "api_never_answers",
];

const CSRS: &str = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

fn cluster() -> (FakeApiServer, Sandbox) {
    Sandbox::with_fake_cluster(FakeOptions::default())
}

fn status(code: u16, reason: &str, message: &str) -> Answer {
    Answer::json(
        code,
        serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}),
    )
}

fn api_case(fault: Fault, names: &[&str]) {
    let (server, sb) = cluster();
    server.inject(fault);
    refused_unchanged(
        &sb,
        &["add", "john", "--no-check", "--timeout", "5s"],
        names,
    );
}

#[test]
fn api_401_unauthorized() {
    api_case(
        Fault::on(None, "/", status(401, "Unauthorized", "Unauthorized")),
        &["Unauthorized"],
    );
}

#[test]
fn api_403_on_create() {
    api_case(
        Fault::on(
            Some("POST"),
            CSRS,
            status(
                403,
                "Forbidden",
                "certificatesigningrequests.certificates.k8s.io is forbidden: User \"kubernetes-admin\" cannot create resource",
            ),
        ),
        &["CertificateSigningRequest", "forbidden"],
    );
}

#[test]
fn api_404_no_certificates_api() {
    api_case(
        Fault::on(
            None,
            "/apis/certificates.k8s.io",
            status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ),
        ),
        &["CertificateSigningRequest"],
    );
}

#[test]
fn api_409_already_exists() {
    api_case(
        Fault::on(
            Some("POST"),
            CSRS,
            status(
                409,
                "AlreadyExists",
                "certificatesigningrequests.certificates.k8s.io \"x\" already exists",
            ),
        ),
        &["CertificateSigningRequest", "already exists"],
    );
}

#[test]
fn api_422_invalid() {
    api_case(
        Fault::on(
            Some("POST"),
            CSRS,
            status(
                422,
                "Invalid",
                "CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: spec.signerName: Required value",
            ),
        ),
        &["CertificateSigningRequest", "invalid"],
    );
}

#[test]
fn api_500_internal_error() {
    api_case(
        Fault::on(
            Some("POST"),
            CSRS,
            status(
                500,
                "InternalError",
                "Internal error occurred: etcdserver: request timed out",
            ),
        ),
        &["CertificateSigningRequest", "etcdserver"],
    );
}

#[test]
fn api_malformed_json() {
    api_case(
        Fault::on(
            Some("POST"),
            CSRS,
            Answer::raw(
                201,
                b"{\"kind\": \"CertificateSigningRequest\", \"metadata\": {",
            ),
        ),
        &["CertificateSigningRequest"],
    );
}

#[test]
fn api_certificate_for_someone_elses_key() {
    // The signer issues, but what comes back carries another key: a certificate made by the
    // cluster CA for "john" with a key that is not ours.
    let (server, sb) = cluster();
    let foreign = foreign_certificate(&server, "john");
    // Watches end at once, so the certificate is read with a GET, whose answer is rewritten.
    server.inject(Fault::on(Some("GET"), CSRS, Answer::raw(200, b"")).with_query("watch"));
    server.inject(Fault::on(
        Some("GET"),
        CSRS,
        Answer::rewrite(move |mut v| {
            swap_certificate(&mut v, &foreign);
            v
        }),
    ));
    refused_unchanged(
        &sb,
        &["add", "john", "--no-check", "--timeout", "10s"],
        &["CertificateSigningRequest", "another public key"],
    );
}

#[test]
fn api_never_answers() {
    let (server, sb) = cluster();
    server.inject(Fault::on(None, CSRS, Answer::Hang));
    let started = Instant::now();
    refused_unchanged(
        &sb,
        &["add", "john", "--no-check", "--timeout", "3s"],
        &["CertificateSigningRequest"],
    );
    // Bounded by --timeout (plus start-up on a slow machine), not by an HTTP default of minutes.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

/// A certificate from the cluster CA for `user` with a fresh key: valid, but not ours.
fn foreign_certificate(server: &FakeApiServer, user: &str) -> String {
    use openssl::{asn1::Asn1Time, bn::BigNum, hash::MessageDigest, pkey::PKey, x509};
    let ca = x509::X509::from_pem(&server.ca_cert_pem()).unwrap();
    let ca_key = PKey::private_key_from_pem(&server.ca_key_pem()).unwrap();
    let key = PKey::from_ec_key(
        openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let mut name = x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", user).unwrap();
    let name = name.build();
    let mut b = x509::X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    b.append_extension(
        x509::extension::ExtendedKeyUsage::new()
            .client_auth()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    openssl::base64::encode_block(&b.build().to_pem().unwrap())
}

/// In a CSR or a CSR list, replace an issued certificate with `pem_b64`.
fn swap_certificate(v: &mut serde_json::Value, pem_b64: &str) {
    let mut swap = |csr: &mut serde_json::Value| {
        if csr["status"]["certificate"].is_string() {
            csr["status"]["certificate"] = pem_b64.into();
        }
    };
    match v["items"].as_array_mut() {
        Some(items) => items.iter_mut().for_each(&mut swap),
        None => swap(v),
    }
}
