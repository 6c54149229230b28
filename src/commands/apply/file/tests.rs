use super::*;

const TEAM: &str = "apiVersion: certuser.kubectl.io/v1alpha1
kind: UserList
defaults: {namespace: dev1, groups: [dev1], clusterRole: view, keyType: ecdsa-p256, duration: 90d}
users:
- name: john
- name: jane
  groups: [dev1, qa, qa]
  clusterRole: edit
- name: ops
  role: deployer
  namespace: prod
  duration: 12h
";

fn parse_strict(text: &str) -> anyhow::Result<Vec<Wanted>> {
    parse(text, "team.yaml", GroupPolicy::STRICT, &mut |_| {}).map(|f| f.users)
}

fn message(text: &str) -> String {
    let err = parse_strict(text).unwrap_err();
    format!("{err:#}")
}

#[test]
fn users_take_the_defaults_and_override_them() {
    let users = parse_strict(TEAM).unwrap();
    assert_eq!(users.len(), 3);
    let john = &users[0];
    assert_eq!(john.groups, ["dev1"]);
    assert_eq!(john.namespace.as_deref(), Some("dev1"));
    assert_eq!(john.role, Some(Role::ClusterRole("view".into())));
    assert_eq!(john.key_type, KeyType::EcdsaP256);
    assert_eq!(john.lifetime, Duration::from_secs(90 * 86_400));
    assert_eq!(john.line, 5);
    let jane = &users[1];
    assert_eq!(jane.groups, ["dev1", "qa"], "a repeated group counts once");
    assert_eq!(jane.role, Some(Role::ClusterRole("edit".into())));
    let ops = &users[2];
    assert_eq!(ops.role, Some(Role::Role("deployer".into())));
    assert_eq!(ops.namespace.as_deref(), Some("prod"));
    assert_eq!(ops.lifetime, Duration::from_secs(12 * 3600));
}

#[test]
fn a_file_without_defaults_gives_a_year_and_no_binding() {
    let users = parse_strict(
        "apiVersion: certuser.kubectl.io/v1alpha1\nkind: UserList\nusers:\n- name: solo\n",
    )
    .unwrap();
    assert_eq!(users[0].lifetime, DEFAULT_LIFETIME);
    assert_eq!(users[0].role, None);
    assert!(users[0].groups.is_empty() && users[0].namespace.is_none());
}

#[test]
fn an_unknown_field_is_refused_with_its_line() {
    let text = TEAM.replace(
        "  clusterRole: edit\n",
        "  clusterRole: edit\n  cluserRole: x\n",
    );
    let msg = message(&text);
    assert!(
        msg.contains("cluserRole") && msg.contains("line 9"),
        "{msg}"
    );
    let msg = message(&TEAM.replace("defaults: {", "defaults: {grups: [x], "));
    assert!(msg.contains("grups") && msg.contains("line 3"), "{msg}");
}

#[test]
fn the_list_is_named_by_metadata_or_default() {
    let file = parse(TEAM, "t", GroupPolicy::STRICT, &mut |_| {}).unwrap();
    assert_eq!(file.list, DEFAULT_LIST);
    let named = TEAM.replace(
        "kind: UserList\n",
        "kind: UserList\nmetadata: {name: team-a.dev}\n",
    );
    let file = parse(&named, "t", GroupPolicy::STRICT, &mut |_| {}).unwrap();
    assert_eq!(file.list, "team-a.dev");
    for bad in ["Team", "-a", "a-", "a..b", "a_b", "\"\""] {
        let text = TEAM.replace(
            "kind: UserList\n",
            &format!("kind: UserList\nmetadata: {{name: {bad}}}\n"),
        );
        let msg = message(&text);
        assert!(msg.contains("team.yaml:3: metadata.name"), "{bad}: {msg}");
    }
    assert!(check_list_name(&"a".repeat(254)).is_err());
}

#[test]
fn a_duplicate_name_names_both_lines() {
    let msg = message(&format!("{TEAM}- name: john\n"));
    assert!(
        msg.contains("team.yaml:13") && msg.contains("listed twice") && msg.contains("line 5"),
        "{msg}"
    );
}

#[test]
fn privileged_groups_and_system_names_are_refused_where_written() {
    let msg = message(&TEAM.replace("[dev1, qa, qa]", "[dev1,\n    system:masters]"));
    assert!(
        msg.contains("team.yaml:8") && msg.contains("system:masters"),
        "{msg}"
    );
    let msg = message(&TEAM.replace("[dev1, qa, qa]", "[kubeadm:cluster-admins]"));
    assert!(msg.contains("team.yaml:7"), "{msg}");
    let allowed = parse(
        &TEAM.replace("[dev1, qa, qa]", "[kubeadm:cluster-admins]"),
        "team.yaml",
        GroupPolicy {
            allow_system_masters: false,
            allow_privileged: true,
        },
        &mut |_| {},
    );
    assert!(allowed.is_ok(), "{allowed:?}");
    let msg = message(&TEAM.replace("name: ops", "name: system:kube-proxy"));
    assert!(
        msg.contains("team.yaml:9") && msg.contains("reserved"),
        "{msg}"
    );
    let msg = message(&TEAM.replace("name: ops", "name: ../etc"));
    assert!(msg.contains("team.yaml:9"), "{msg}");
}

#[test]
fn bad_values_name_their_line() {
    let msg = message(&TEAM.replace("duration: 12h", "duration: 12 hours"));
    assert!(
        msg.contains("team.yaml:12") && msg.contains("duration"),
        "{msg}"
    );
    let msg = message(&TEAM.replace("keyType: ecdsa-p256", "keyType: dsa"));
    assert!(
        msg.contains("team.yaml:3") && msg.contains("keyType"),
        "{msg}"
    );
    let msg = message(&TEAM.replace("v1alpha1", "v1"));
    assert!(
        msg.contains("team.yaml:1") && msg.contains("apiVersion"),
        "{msg}"
    );
    let msg = message(&TEAM.replace("kind: UserList", "kind: Config"));
    assert!(msg.contains("team.yaml:2"), "{msg}");
    let msg = message(&TEAM.replace(
        "  role: deployer\n",
        "  role: deployer\n  clusterRole: view\n",
    ));
    assert!(msg.contains("both role and clusterRole"), "{msg}");
    let msg = message(&TEAM.replace("  namespace: prod\n", "  namespace: \"\"\n"));
    assert!(msg.contains("namespace is empty"), "{msg}");
}
