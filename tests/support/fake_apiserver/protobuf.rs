//! Kubernetes' protobuf request bodies. kubectl's typed clients send built-in objects as
//! `application/vnd.kubernetes.protobuf` (`k8s\0` + runtime.Unknown), so a faithful fake reads
//! them. Only the messages and fields kubectl sends to this server are mapped to JSON; the
//! field numbers are those of k8s.io/api's generated.proto.

use serde_json::{Map, Value, json};

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn fields(buf: &[u8]) -> Vec<(u64, Field<'_>)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let Some(key) = varint(buf, &mut pos) else {
            break;
        };
        let (number, wire) = (key >> 3, key & 7);
        let field = match wire {
            0 => match varint(buf, &mut pos) {
                Some(v) => Field::Varint(v),
                None => break,
            },
            2 => {
                let Some(len) = varint(buf, &mut pos) else {
                    break;
                };
                let end = pos + len as usize;
                if end > buf.len() {
                    break;
                }
                let bytes = &buf[pos..end];
                pos = end;
                Field::Bytes(bytes)
            }
            1 => {
                pos += 8;
                Field::Fixed
            }
            5 => {
                pos += 4;
                Field::Fixed
            }
            _ => break,
        };
        out.push((number, field));
    }
    out
}

fn string(f: &Field) -> Value {
    match f {
        Field::Bytes(b) => String::from_utf8_lossy(b).into_owned().into(),
        _ => Value::Null,
    }
}

/// Decode a message with a schema: field number → (JSON name, how to read it).
fn message(buf: &[u8], schema: &[(u64, &str, Kind)]) -> Value {
    let mut out = Map::new();
    for (number, field) in fields(buf) {
        let Some((_, name, kind)) = schema.iter().find(|(n, _, _)| *n == number) else {
            continue;
        };
        let value = match (kind, &field) {
            (Kind::Str, _) => string(&field),
            (Kind::Int, Field::Varint(v)) => json!(*v as i64),
            (Kind::Base64, Field::Bytes(b)) => openssl::base64::encode_block(b).into(),
            (Kind::Msg(sub), Field::Bytes(b)) => sub(b),
            (Kind::Map, Field::Bytes(b)) => {
                let entry = message(b, &[(1, "k", Kind::Str), (2, "v", Kind::Str)]);
                let slot = out.entry(name.to_string()).or_insert_with(|| json!({}));
                slot[entry["k"].as_str().unwrap_or("")] = entry["v"].clone();
                continue;
            }
            _ => continue,
        };
        if matches!(kind, Kind::Str | Kind::Msg(_)) && is_repeated(name) {
            out.entry(name.to_string())
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .unwrap()
                .push(value);
        } else {
            out.insert(name.to_string(), value);
        }
    }
    Value::Object(out)
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Base64,
    Map,
    Msg(fn(&[u8]) -> Value),
}

fn is_repeated(name: &str) -> bool {
    matches!(
        name,
        "groups"
            | "usages"
            | "conditions"
            | "subjects"
            | "rules"
            | "verbs"
            | "apiGroups"
            | "resources"
            | "resourceNames"
            | "nonResourceURLs"
            | "clusterRoleSelectors"
    )
}

fn object_meta(b: &[u8]) -> Value {
    message(
        b,
        &[
            (1, "name", Kind::Str),
            (2, "generateName", Kind::Str),
            (3, "namespace", Kind::Str),
            (6, "resourceVersion", Kind::Str),
            (11, "labels", Kind::Map),
            (12, "annotations", Kind::Map),
        ],
    )
}

fn time(b: &[u8]) -> Value {
    let seconds = fields(b).iter().find_map(|(n, f)| match (n, f) {
        (1, Field::Varint(v)) => Some(*v as i64),
        _ => None,
    });
    match seconds.and_then(|s| jiff::Timestamp::from_second(s).ok()) {
        Some(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string().into(),
        None => Value::Null,
    }
}

fn csr_condition(b: &[u8]) -> Value {
    message(
        b,
        &[
            (1, "type", Kind::Str),
            (2, "reason", Kind::Str),
            (3, "message", Kind::Str),
            (4, "lastUpdateTime", Kind::Msg(time)),
            (5, "lastTransitionTime", Kind::Msg(time)),
            (6, "status", Kind::Str),
        ],
    )
}

fn csr_spec(b: &[u8]) -> Value {
    message(
        b,
        &[
            (1, "request", Kind::Base64),
            (2, "username", Kind::Str),
            (3, "uid", Kind::Str),
            (4, "groups", Kind::Str),
            (5, "usages", Kind::Str),
            (7, "signerName", Kind::Str),
            (8, "expirationSeconds", Kind::Int),
        ],
    )
}

fn csr_status(b: &[u8]) -> Value {
    message(
        b,
        &[
            (1, "conditions", Kind::Msg(csr_condition)),
            (2, "certificate", Kind::Base64),
        ],
    )
}

fn resource_attributes(b: &[u8]) -> Value {
    message(
        b,
        &[
            (1, "namespace", Kind::Str),
            (2, "verb", Kind::Str),
            (3, "group", Kind::Str),
            (4, "version", Kind::Str),
            (5, "resource", Kind::Str),
            (6, "subresource", Kind::Str),
            (7, "name", Kind::Str),
        ],
    )
}

fn access_review_spec(b: &[u8]) -> Value {
    message(
        b,
        &[(1, "resourceAttributes", Kind::Msg(resource_attributes))],
    )
}

fn rules_review_spec(b: &[u8]) -> Value {
    message(b, &[(1, "namespace", Kind::Str)])
}

fn subject(b: &[u8]) -> Value {
    message(
        b,
        &[
            (1, "kind", Kind::Str),
            (2, "apiGroup", Kind::Str),
            (3, "name", Kind::Str),
            (4, "namespace", Kind::Str),
        ],
    )
}

fn role_ref(b: &[u8]) -> Value {
    message(
        b,
        &[
            (1, "apiGroup", Kind::Str),
            (2, "kind", Kind::Str),
            (3, "name", Kind::Str),
        ],
    )
}

/// rbac.v1.PolicyRule: what a Role or ClusterRole grants.
fn policy_rule(b: &[u8]) -> Value {
    message(
        b,
        &[
            (1, "verbs", Kind::Str),
            (2, "apiGroups", Kind::Str),
            (3, "resources", Kind::Str),
            (4, "resourceNames", Kind::Str),
            (5, "nonResourceURLs", Kind::Str),
        ],
    )
}

/// metav1.LabelSelector, as far as an aggregation rule uses it (matchLabels).
fn label_selector(b: &[u8]) -> Value {
    message(b, &[(1, "matchLabels", Kind::Map)])
}

fn aggregation_rule(b: &[u8]) -> Value {
    message(b, &[(1, "clusterRoleSelectors", Kind::Msg(label_selector))])
}

/// `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw} → the object as JSON.
pub fn decode(body: &[u8]) -> Option<Value> {
    let envelope = body.strip_prefix(b"k8s\0")?;
    let parts = fields(envelope);
    let type_meta = parts.iter().find_map(|(n, f)| {
        if *n == 1 {
            if let Field::Bytes(b) = f {
                Some(*b)
            } else {
                None
            }
        } else {
            None
        }
    })?;
    let raw = parts
        .iter()
        .find_map(|(n, f)| {
            if *n == 2 {
                if let Field::Bytes(b) = f {
                    Some(*b)
                } else {
                    None
                }
            } else {
                None
            }
        })
        .unwrap_or(&[]);
    let tm = message(
        type_meta,
        &[(1, "apiVersion", Kind::Str), (2, "kind", Kind::Str)],
    );
    let kind = tm["kind"].as_str().unwrap_or("").to_string();
    let schema: &[(u64, &str, Kind)] = match kind.as_str() {
        "CertificateSigningRequest" => &[
            (1, "metadata", Kind::Msg(object_meta)),
            (2, "spec", Kind::Msg(csr_spec)),
            (3, "status", Kind::Msg(csr_status)),
        ],
        "SelfSubjectAccessReview" => &[
            (1, "metadata", Kind::Msg(object_meta)),
            (2, "spec", Kind::Msg(access_review_spec)),
        ],
        "SelfSubjectRulesReview" => &[
            (1, "metadata", Kind::Msg(object_meta)),
            (2, "spec", Kind::Msg(rules_review_spec)),
        ],
        "SelfSubjectReview" => &[(1, "metadata", Kind::Msg(object_meta))],
        "RoleBinding" | "ClusterRoleBinding" => &[
            (1, "metadata", Kind::Msg(object_meta)),
            (2, "subjects", Kind::Msg(subject)),
            (3, "roleRef", Kind::Msg(role_ref)),
        ],
        "Role" => &[
            (1, "metadata", Kind::Msg(object_meta)),
            (2, "rules", Kind::Msg(policy_rule)),
        ],
        "ClusterRole" => &[
            (1, "metadata", Kind::Msg(object_meta)),
            (2, "rules", Kind::Msg(policy_rule)),
            (3, "aggregationRule", Kind::Msg(aggregation_rule)),
        ],
        "Namespace" => &[(1, "metadata", Kind::Msg(object_meta))],
        _ => &[(1, "metadata", Kind::Msg(object_meta))],
    };
    let mut object = message(raw, schema);
    object["apiVersion"] = tm["apiVersion"].clone();
    object["kind"] = kind.clone().into();
    if object.get("spec").is_none() && kind.starts_with("SelfSubject") {
        object["spec"] = json!({});
    }
    Some(object)
}
