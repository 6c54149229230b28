use super::*;
use crate::kubeconfig::testing::embedded_users;
use crate::kubeconfig::yaml;

/// What the YAML parser makes of the whole text, as it is (no lifting).
fn parsed(text: &str) -> Option<Value> {
    yaml::from_str(text).ok()
}

/// `read`, with the values left in the text put back.
fn read_resolved(text: &str) -> Option<Value> {
    let (mut value, blobs) = read(text)?;
    blobs.resolve(text, &mut value);
    Some(value)
}

/// `read` gives up or gives exactly the parser's tree; returns whether it read the text.
fn same_or_given_up(text: &str) -> bool {
    let Some(ours) = read_resolved(text) else {
        return false;
    };
    assert_eq!(Some(ours), parsed(text), "read differently:\n{text}");
    true
}

#[test]
fn kubectls_layout_is_read_as_the_yaml_parser_reads_it() {
    let exec = "apiVersion: v1\nclusters:\n- cluster:\n    insecure-skip-tls-verify: true\n    proxy-url: http://proxy:3128\n    server: https://10.0.0.1:6443\n    tls-server-name: api.example\n  name: prod\ncontexts:\n- context:\n    cluster: prod\n    namespace: team-1\n    user: eks\n  name: eks@prod\n- context:\n    cluster: prod\n    user: a\n  name: ctx\ncurrent-context: eks@prod\nkind: Config\npreferences: {}\nusers:\n- name: eks\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      args:\n      - --region\n      - eu-west-1\n      - token\n      command: aws\n      env: null\n      interactiveMode: IfAvailable\n      provideClusterInfo: false\n- name: a\n  user:\n    token: abc.def\n- name: empty\n  user: {}\n- name: n\n  user:\n";
    let spaced = "# a comment\nkind: Config\n\nusers:\n  # indented comment\n  - name: a\n    user:\n        client-certificate: /home/a/.kube/a.crt\n        client-key: /home/a/.kube/a.key\n\n  - name: b\n    user: {}\nclusters: []\ncurrent-context:\nextensions:\n- extension:\n    last-update: 2024-01-01\n    port: 8443\n    ratio: 1.5\n    octal: 0755\n  name: x";
    for text in [embedded_users(30), exec.to_string(), spaced.to_string()] {
        assert!(same_or_given_up(&text), "not read:\n{text}");
    }
}

#[test]
fn credentials_in_entry_bodies_stay_in_the_text() {
    let text = embedded_users(20);
    let (value, blobs) = read(&text).unwrap();
    let tree = serde_json::to_string(&value).unwrap().len();
    assert!(tree * 10 < text.len(), "the tree holds {tree} bytes");
    // The cluster's CA and every user's pair: placeholders, found again in the text.
    let body = &value["users"][19]["user"];
    assert!(blobs.in_value(body) && blobs.in_value(&value["clusters"][0]["cluster"]));
    assert!(!blobs.in_value(&value["users"][19]["name"]));
    let mut resolved = body.clone();
    blobs.resolve(&text, &mut resolved);
    assert_eq!(resolved, parsed(&text).unwrap()["users"][19]["user"]);
}

#[test]
fn anything_else_is_left_to_the_yaml_parser() {
    let long = "QUJD".repeat(40);
    for text in [
        "k: \"quoted\"\n",
        "k: 'quoted'\n",
        "k: v # comment\n",
        "k: {a: 1}\n",
        "k: [a, b]\n",
        "k: &anchor v\nj: *anchor\n",
        "k: !!str 1\n",
        "k: |\n  block\n",
        "k: >\n  folded\n",
        "k: first\n  second\n",
        "k: two words\n",
        "k:  two-spaces\n",
        "k: trailing \n",
        "k:\tv\n",
        "k: v\r\nj: w\r\n",
        "k: a\nk: b\n",
        "---\nk: v\n",
        "k: v\n...\n",
        "%YAML 1.2\n---\nk: v\n",
        "k: café\n",
        "# café\nk: v\n",
        "# bell \u{7}\nk: v\n",
        "l:\n- - x\n",
        "l:\n-  x\n",
        "l:\n-\n  k: v\n",
        "l:\n- x\n  - y\n",
        "l:\n- a: 1\n   b: 2\n",
        "k: a:\n",
        "k: cu64_0\n",
        "cu64_0: v\n",
        "  k: v\n",
        "- a\n- b\n",
        "k: v\n- stray\n",
        "a:\n    b: 1\n  c: 2\n",
        "? complex\n: key\n",
        "\"k\": v\n",
        "k: @reserved\n",
        "k: `reserved\n",
        "k: %percent\n",
        "k: \n",
        "k: ,comma\n",
    ] {
        assert!(
            read(text).is_none(),
            "should be left to the parser:\n{text}"
        );
    }
    // A long base64 value is one only where it is a whole plain value.
    assert!(read(&format!("k: \"{long}\"\n")).is_none());
    assert!(read(&format!("k: {long} # c\n")).is_none());
    // Past a depth no kubeconfig has, the parser and its limits decide.
    let mut deep = String::new();
    for depth in 0..40 {
        deep.push_str(&format!("{}k{depth}:\n", " ".repeat(depth * 2)));
    }
    assert!(read(&deep).is_none());
}

/// Plain values and keys that YAML may type, or that are strings only at first sight.
const TRICKY: [&str; 74] = [
    "a",
    "abc",
    "abcde",
    "abcdef",
    "Config",
    "kubernetes",
    "v1",
    "yes",
    "Yes",
    "YES",
    "No",
    "ON",
    "off",
    "y",
    "Y",
    "n",
    "true",
    "True",
    "TRUE",
    "False",
    "null",
    "Null",
    "NULL",
    "nULL",
    "~",
    "0",
    "7",
    "0123",
    "0x1F",
    "0o17",
    "0b101",
    "1e3",
    "1E3",
    "1.5",
    "-2",
    "+3",
    ".inf",
    "-.Inf",
    ".NaN",
    "1_000",
    "12345678901234567890",
    "123456789012345678901234",
    "1e999",
    "2024-01-01",
    "12:30:00",
    "a:b",
    "https://10.0.0.1:6443",
    "/etc/k.crt",
    "/",
    "-x",
    "--flag=1",
    "=",
    "==",
    ":x",
    "_x",
    ".x",
    "x.",
    "a=b",
    "u@c",
    "Infinity",
    "inf",
    "nan",
    "NaN",
    "-",
    "+",
    ".",
    "1.2.3",
    "0.",
    "-0",
    "+0x1",
    "1__0",
    "a1",
    "e5",
    "E",
];

#[test]
fn values_and_keys_are_typed_by_the_yaml_parser() {
    let mut read_some = 0;
    for word in TRICKY {
        for text in [
            format!("k: {word}\n"),
            format!("l:\n- {word}\n- other\n"),
            format!("{word}: x\n"),
            format!("m:\n  {word}:\n    k: {word}\n"),
        ] {
            read_some += usize::from(same_or_given_up(&text));
        }
    }
    // Most are read (the parser typing them), not all given up: keys that do not start with a
    // letter, and values that YAML reads as no JSON value (`.inf`), are left to the parser.
    assert!(read_some > TRICKY.len() * 5 / 2, "{read_some}");
}

/// A small deterministic generator (no seed from the clock: a failure is repeatable).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const KEYS: [&str; 16] = [
    "name",
    "user",
    "users",
    "cluster",
    "clusters",
    "contexts",
    "context",
    "k1",
    "a.b",
    "x_y",
    "on",
    "y",
    "null",
    "true",
    "client-key-data",
    "args",
];

/// Now and then a line that is outside the layout, or not YAML at all.
const NOISE: [&str; 10] = [
    "# comment",
    "",
    "   ",
    "\tk: v",
    "k: v # c",
    "- stray",
    "  odd: indent",
    "...",
    "k: 'q'",
    "z: [1]",
];

fn generate(rng: &mut Rng, out: &mut String, indent: usize, depth: usize) {
    let long = |rng: &mut Rng| {
        let bytes: Vec<u8> = (0..60).map(|_| rng.below(256) as u8).collect();
        openssl::base64::encode_block(&bytes)
    };
    let pad = " ".repeat(indent);
    for _ in 0..1 + rng.below(4) {
        if rng.below(40) == 0 {
            out.push_str(&format!(
                "{}{}\n",
                " ".repeat(rng.below(indent + 3)),
                rng.pick(&NOISE)
            ));
        }
        let key = rng.pick(&KEYS);
        match (rng.below(6), depth < 4) {
            (0, true) => {
                out.push_str(&format!("{pad}{key}:\n"));
                let inner = indent + 2 + 2 * rng.below(2);
                generate(rng, out, inner, depth + 1);
            }
            (1, true) => {
                out.push_str(&format!("{pad}{key}:\n"));
                let inner = indent + 2 * rng.below(2);
                for _ in 0..1 + rng.below(3) {
                    if rng.below(2) == 0 {
                        out.push_str(&format!("{}- {}\n", " ".repeat(inner), rng.pick(&TRICKY)));
                    } else {
                        out.push_str(&format!("{}- ", " ".repeat(inner)));
                        let mut item = String::new();
                        generate(rng, &mut item, inner + 2, depth + 1);
                        out.push_str(item.trim_start_matches(' '));
                    }
                }
            }
            (2, _) => out.push_str(&format!("{pad}{key}: {}\n", long(rng))),
            (3, _) => out.push_str(&format!("{pad}{key}:\n")),
            _ => out.push_str(&format!("{pad}{key}: {}\n", rng.pick(&TRICKY))),
        }
    }
}

#[test]
fn generated_documents_are_read_as_the_yaml_parser_reads_them_or_left_to_it() {
    let mut rng = Rng(0x6b75_6265);
    let mut read_some = 0;
    let runs = 600;
    for _ in 0..runs {
        let mut text = String::new();
        generate(&mut rng, &mut text, 0, 0);
        read_some += usize::from(same_or_given_up(&text));
    }
    assert!(read_some * 5 > runs, "only {read_some} of {runs} read");
    assert!(read_some < runs, "the noise never made one give up");
}
