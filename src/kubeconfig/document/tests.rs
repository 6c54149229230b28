use super::*;

fn round_trip(text: &str) -> (Value, Value) {
    let before = Value::Object(parse(Path::new("t"), text).unwrap());
    let written = to_yaml(&before).unwrap();
    let after = Value::Object(parse(Path::new("t"), &written).unwrap());
    (before, after)
}

#[test]
fn values_keep_their_meaning_through_a_round_trip() {
    let text = "apiVersion: v1\nkind: Config\nx-strings: [\"yes\", \"on\", \"null\", \"0123\", \"1e3\", \"true\", \"~\"]\n\
                    x-plain: [yes, on, 0123, 1e3, 12345678901234567890]\nx-empty: {}\nx-list: []\n\
                    x-nested: {a: [1, {b: null}], c: \"multi\\nline\"}\nusers: []\n";
    let (before, after) = round_trip(text);
    assert_eq!(before, after);
    assert_eq!(before["x-strings"][0], "yes");
    assert_eq!(before["x-strings"][3], "0123");
}

#[test]
fn key_order_is_kept_and_base64_stays_on_one_line() {
    let long = "A".repeat(300);
    let text = format!(
        "kind: Config\nzeta: 1\napiVersion: v1\nusers:\n- name: u\n  user:\n    client-certificate-data: {long}\n"
    );
    let root = parse(Path::new("t"), &text).unwrap();
    let keys: Vec<&String> = root.keys().collect();
    assert_eq!(keys, ["kind", "zeta", "apiVersion", "users"]);
    let out = to_yaml(&Value::Object(root)).unwrap();
    assert!(
        out.contains(&format!("client-certificate-data: {long}\n")),
        "{out}"
    );
}

#[test]
fn json_kubeconfigs_and_empty_files_are_read() {
    let root = parse(Path::new("t"), r#"{"apiVersion":"v1","kind":"Config","clusters":[{"name":"c","cluster":{"server":"https://x"}}]}"#).unwrap();
    assert_eq!(root["clusters"][0]["name"], "c");
    assert!(parse(Path::new("t"), "").unwrap().is_empty());
    assert!(
        parse(Path::new("t"), "\n# only a comment\n")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_kubeconfig_of_ten_thousand_certificate_users_is_not_too_large_but_dev_zero_is() {
    // 10,000 users with embedded RSA 2048 credentials, as scripts/bench.sh makes them, is
    // 39.7 MB: a real kubeconfig the size limit must let through (a 32 MiB limit did not).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(40_000_000).unwrap(); // sparse: zeros are valid UTF-8
    assert_eq!(read_bounded(&path).unwrap().len(), 40_000_000);
    let err = Document::load(Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("larger than 128 MiB"), "{err}");
}

#[test]
fn reloading_keeps_the_parse_of_an_unchanged_file_and_reads_a_changed_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, "users:\n- name: a\n").unwrap();
    let doc = Document::load(&path).unwrap();
    let parsed = super::super::yaml::yaml_bytes();
    let doc = Document::reload(&path, Some(doc)).unwrap();
    assert_eq!(super::super::yaml::yaml_bytes(), parsed, "not parsed again");
    // Same length, other content: seen, parsed again.
    std::fs::write(&path, "users:\n- name: b\n").unwrap();
    let doc = Document::reload(&path, Some(doc)).unwrap();
    assert_eq!(doc.root["users"][0]["name"], "b");
    std::fs::write(&path, "users:\n- name: b\n- name: c\n").unwrap();
    let doc = Document::reload(&path, Some(doc)).unwrap();
    assert_eq!(doc.root["users"][1]["name"], "c");
    std::fs::remove_file(&path).unwrap();
    let doc = Document::reload(&path, Some(doc)).unwrap();
    assert!(doc.root.is_empty() && doc.original.is_none());
    let doc = Document::reload(&path, Some(doc)).unwrap();
    assert!(doc.original.is_none());
}

#[test]
fn credentials_stay_in_the_text_until_their_entry_is_read() {
    let text = crate::kubeconfig::testing::embedded_users(50);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, &text).unwrap();
    let mut doc = Document::load(&path).unwrap();
    let expected = parse(&path, &text).unwrap();
    let tree = serde_json::to_string(&doc.root).unwrap().len();
    assert!(tree * 10 < text.len(), "the tree holds {tree} bytes");
    for (section, i) in [
        (Section::Users, 49),
        (Section::Users, 0),
        (Section::Clusters, 0),
    ] {
        let list = section.list_key();
        let body = &expected[list][i][section.item_key()];
        assert_eq!(Value::Object(doc.body(section, i).unwrap().clone()), *body);
    }
    // Read once for a walk over every entry: the same body, not kept.
    let user = |i: usize| Value::Object(doc.body_once(Section::Users, i).unwrap().into_owned());
    assert_eq!(user(3), expected["users"][3]["user"]);
    assert!(doc.lazy[Section::Users.slot()][&3].get().is_none());
    assert!(doc.lazy[Section::Users.slot()][&49].get().is_some());
    assert_eq!(user(49), expected["users"][49]["user"]);
    assert_eq!(
        doc.render_redacted().unwrap(),
        render_shown(&expected).unwrap()
    );
    doc.resolve_all();
    assert_eq!(doc.root, expected);
}

#[test]
fn bad_shapes_are_named() {
    let err = |text: &str| parse(Path::new("/k/config"), text).unwrap_err().to_string();
    assert!(
        err("clusters: [\n").contains("/k/config is not valid YAML"),
        "{}",
        err("clusters: [\n")
    );
    assert!(err("- a\n- b\n").contains("not a YAML mapping"));
    assert!(err("users: {}\n").contains("users is not a list"));
    assert!(err("contexts:\n- context: {}\n").contains("contexts[0] has no name"));
    assert!(err("current-context: [a]\n").contains("current-context is not a string"));
    assert!(
        err("users:\n- name: a\n- name: a\n").contains("users[1]: the name \"a\" is used twice")
    );
    assert!(err("contexts:\n- name: c\n  context: [x]\n").contains("its context is not a mapping"));
}
