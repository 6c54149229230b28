use super::*;
use crate::pki::KeyType;

const DAY: i64 = 86_400;

fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_800_000_000).unwrap()
}

fn wanted(name: &str, groups: &[&str], ns: &str, role: Option<&str>) -> Wanted {
    Wanted {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        namespace: Some(ns.into()),
        role: role.map(|r| Role::ClusterRole(r.into())),
        key_type: KeyType::EcdsaP256,
        lifetime: Duration::from_secs(90 * DAY as u64),
        line: 7,
    }
}

/// A user made by apply: certificate issued `age` days ago for `days` days.
fn existing(name: &str, groups: &[&str], ns: &str, age: i64, days: i64) -> Existing {
    let issued = now().as_second() - age * DAY;
    Existing {
        name: name.into(),
        cert: Some(CertInfo {
            subject: format!("CN={name}"),
            common_name: Some(name.into()),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            issuer: "CN=kubernetes".into(),
            serial: format!("{name}-serial"),
            not_before: jiff::Timestamp::from_second(issued).unwrap(),
            not_after: jiff::Timestamp::from_second(issued + days * DAY).unwrap(),
            key: "ECDSA P-256".into(),
            signature_algorithm: String::new(),
            sha256_fingerprint: String::new(),
            key_usage: vec![],
            extended_key_usage: vec![],
            is_ca: false,
            public_key_der_sha256: String::new(),
        }),
        foreign: None,
        protected: None,
        list: Some("team".into()),
        on_cluster: true,
        clusters: vec!["k".into()],
        context: Some(ExistingContext {
            namespace: Some(ns.into()),
            user: Some(name.into()),
        }),
        contexts: vec![format!("{name}@k")],
    }
}

fn ours(user: &str, ns: &str, role: &str) -> ListedBinding {
    ListedBinding {
        kind: "RoleBinding",
        name: binding_name(user, role),
        namespace: Some(ns.into()),
        role_kind: "ClusterRole".into(),
        role_name: role.into(),
        managed_for: Some(user.into()),
    }
}

fn inputs<'a>(
    existing: &'a [Existing],
    bindings: Option<&'a [ListedBinding]>,
    prune: bool,
) -> Inputs<'a> {
    Inputs {
        cluster: "k",
        list: "team",
        existing,
        bindings,
        renew_within: None,
        prune,
        now: now(),
    }
}

#[test]
fn a_missing_user_is_created_with_context_and_binding() {
    let plan = plan(
        &[wanted("john", &["dev1"], "dev1", Some("view"))],
        &inputs(&[], Some(&[]), false),
    )
    .unwrap();
    let john = &plan.users[0];
    assert_eq!(john.issue, Some(Issue::Create));
    assert_eq!(
        john.context.as_ref().unwrap().namespace.as_deref(),
        Some("dev1")
    );
    assert_eq!(john.bind.as_ref().unwrap().name, "certuser:john:view");
    assert!(!plan.unchanged());
}

#[test]
fn a_user_as_the_file_says_is_unchanged() {
    let existing = [existing("john", &["dev1"], "dev1", 10, 90)];
    let bindings = [ours("john", "dev1", "view")];
    let plan = plan(
        &[wanted("john", &["dev1"], "dev1", Some("view"))],
        &inputs(&existing, Some(&bindings), true),
    )
    .unwrap();
    assert!(plan.unchanged(), "{plan:?}");
}

#[test]
fn changed_groups_reissue_whatever_their_order() {
    let existing = [existing("jane", &["qa", "dev1"], "dev1", 10, 90)];
    let same = plan(
        &[wanted("jane", &["dev1", "qa"], "dev1", None)],
        &inputs(&existing, None, false),
    )
    .unwrap();
    assert!(same.unchanged());
    let changed = plan(
        &[wanted("jane", &["dev1"], "dev1", None)],
        &inputs(&existing, None, false),
    )
    .unwrap();
    assert_eq!(
        changed.users[0].issue,
        Some(Issue::Reissue {
            groups_before: vec!["qa".into(), "dev1".into()]
        })
    );
    assert!(
        changed.users[0].context.is_none(),
        "the namespace did not change"
    );
}

#[test]
fn renewal_comes_within_a_third_of_the_lifetime_or_the_window_given() {
    let old = [existing("john", &["dev1"], "dev1", 61, 90)]; // 29 days left of 90
    let p = plan(
        &[wanted("john", &["dev1"], "dev1", None)],
        &inputs(&old, None, false),
    )
    .unwrap();
    assert!(matches!(p.users[0].issue, Some(Issue::Renew { .. })));
    let young = [existing("john", &["dev1"], "dev1", 59, 90)]; // 31 days left
    let p = plan(
        &[wanted("john", &["dev1"], "dev1", None)],
        &inputs(&young, None, false),
    )
    .unwrap();
    assert_eq!(p.users[0].issue, None);
    let mut wide = inputs(&young, None, false);
    wide.renew_within = Some(Duration::from_secs(40 * DAY as u64));
    let p = plan(&[wanted("john", &["dev1"], "dev1", None)], &wide).unwrap();
    assert!(matches!(p.users[0].issue, Some(Issue::Renew { .. })));
}

#[test]
fn a_namespace_change_is_a_context_change_only() {
    let existing = [existing("john", &["dev1"], "dev1", 1, 90)];
    let p = plan(
        &[wanted("john", &["dev1"], "dev2", None)],
        &inputs(&existing, None, false),
    )
    .unwrap();
    let john = &p.users[0];
    assert_eq!(john.issue, None);
    let change = john.context.as_ref().unwrap();
    assert!(change.exists);
    assert_eq!(
        (
            change.namespace_before.as_deref(),
            change.namespace.as_deref()
        ),
        (Some("dev1"), Some("dev2"))
    );
}

#[test]
fn a_changed_role_replaces_our_binding_and_never_touches_others() {
    let existing = [existing("john", &["dev1"], "dev1", 1, 90)];
    let mut foreign = ours("john", "dev1", "admin");
    foreign.name = "by-hand".into();
    foreign.managed_for = None;
    let bindings = [ours("john", "dev1", "view"), foreign];
    let p = plan(
        &[wanted("john", &["dev1"], "dev1", Some("edit"))],
        &inputs(&existing, Some(&bindings), false),
    )
    .unwrap();
    let john = &p.users[0];
    assert_eq!(john.bind.as_ref().unwrap().name, "certuser:john:edit");
    assert_eq!(john.unbind, [bindings[0].clone()]);
}

#[test]
fn a_binding_of_our_name_made_by_someone_else_refuses_the_plan() {
    let mut theirs = ours("john", "dev1", "view");
    theirs.managed_for = None;
    let err = plan(
        &[wanted("john", &["dev1"], "dev1", Some("view"))],
        &inputs(&[], Some(&[theirs]), false),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("not made by kubectl-certuser"),
        "{err:#}"
    );
}

#[test]
fn prune_takes_only_our_users_of_this_cluster_and_their_bindings() {
    let mut admin = existing("admin", &["kubeadm:cluster-admins"], "default", 1, 365);
    admin.protected = Some("it is the user you act as".into());
    let mut elsewhere = existing("bob", &["dev1"], "dev1", 1, 90);
    elsewhere.on_cluster = false;
    let mut token = existing("tok", &[], "dev1", 1, 90);
    token.cert = None;
    let mut by_add = existing("ann", &["dev1"], "dev1", 1, 90);
    by_add.list = None;
    let mut other_team = existing("al", &["dev1"], "dev1", 1, 90);
    other_team.list = Some("team-b".into());
    let gone = existing("old", &["dev1"], "dev1", 1, 90);
    let existing = [admin, elsewhere, token, by_add, other_team, gone];
    let mut foreign = ours("old", "dev1", "edit");
    foreign.managed_for = None;
    foreign.name = "by-hand".into();
    let bindings = [ours("old", "dev1", "view"), foreign];
    let without = plan(&[], &inputs(&existing, Some(&bindings), false)).unwrap();
    assert!(without.prune.is_empty() && without.unchanged());
    assert_eq!(without.not_listed, ["old"]);
    let with = plan(&[], &inputs(&existing, Some(&bindings), true)).unwrap();
    assert_eq!(with.prune.len(), 1);
    assert_eq!(with.prune[0].name, "old");
    assert_eq!(with.prune[0].contexts, ["old@k"]);
    assert_eq!(with.prune[0].bindings, [bindings[0].clone()]);
    let kept: Vec<&str> = with.kept.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(kept, ["admin", "tok"], "marked, but never pruned");
}

#[test]
fn an_unmarked_user_is_adopted_and_another_lists_user_refused() {
    let mut john = existing("john", &["dev1"], "dev1", 10, 90);
    john.list = None;
    let p = plan(
        &[wanted("john", &["dev1"], "dev1", None)],
        &inputs(std::slice::from_ref(&john), None, true),
    )
    .unwrap();
    assert!(p.users[0].adopt && p.users[0].issue.is_none());
    assert!(!p.unchanged(), "adoption is a change");
    john.list = Some("team-b".into());
    let err = plan(
        &[wanted("john", &["dev1"], "dev1", None)],
        &inputs(&[john], None, true),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("line 7")
            && format!("{err:#}").contains("managed by the team list \"team-b\""),
        "{err:#}"
    );
}

#[test]
fn a_listed_name_that_is_someone_elses_user_is_refused() {
    let mut token = existing("john", &[], "dev1", 1, 90);
    token.cert = None;
    let err = plan(
        &[wanted("john", &["dev1"], "dev1", None)],
        &inputs(&[token], None, false),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("line 7") && format!("{err:#}").contains("other credentials"),
        "{err:#}"
    );
    let mut elsewhere = existing("john", &["dev1"], "dev1", 1, 90);
    elsewhere.on_cluster = false;
    elsewhere.clusters = vec!["prod".into()];
    let err = plan(
        &[wanted("john", &["dev1"], "dev1", None)],
        &inputs(&[elsewhere], None, false),
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("\"prod\""), "{err:#}");
}
