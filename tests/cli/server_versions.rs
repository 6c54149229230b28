//! What differs between Kubernetes versions and `add` must notice: before v1.22 the CSR API has
//! no `expirationSeconds`, so the signer's own duration applies, and `add` says so.

use crate::harness::Sandbox;
use crate::support::fake_apiserver::{FakeApiServer, ServerVersion};

/// `add USER --days 30` on that version: the report and stderr.
fn add_for_30_days(version: ServerVersion) -> (serde_json::Value, String) {
    let server = FakeApiServer::of_version(version);
    let sb = Sandbox::new();
    server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
    let run = sb.run(&["add", "john", "--days", "30", "-o", "json", "--no-check"]);
    (run.ok().json(), run.stderr.clone())
}

fn days_left(report: &serde_json::Value) -> i64 {
    let not_after: jiff::Timestamp = report["users"][0]["certificate"]["notAfter"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (not_after.as_second() - jiff::Timestamp::now().as_second()) / 86_400
}

#[test]
fn before_1_22_the_asked_lifetime_is_ignored_and_add_says_so() {
    let (report, stderr) = add_for_30_days(ServerVersion::V1_21);
    assert!(days_left(&report) > 300, "the signer's year: {report}");
    assert!(
        stderr.contains("ignored the lifetime asked for")
            && stderr.contains("before v1.22")
            && stderr.contains("--ca-cert/--ca-key"),
        "{stderr}"
    );
    let (report, stderr) = add_for_30_days(ServerVersion::V1_24);
    assert!((29..=30).contains(&days_left(&report)), "{report}");
    assert!(!stderr.contains("ignored"), "{stderr}");
}
