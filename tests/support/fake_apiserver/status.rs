//! Errors as the real API server sends them: `Status` objects with the right code and reason.

use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    pub code: u16,
    pub body: Value,
}

fn status(code: u16, reason: &str, message: String, details: Option<Value>) -> ApiError {
    let mut body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    });
    if let Some(details) = details {
        body["details"] = details;
    }
    ApiError { code, body }
}

pub fn unauthorized() -> ApiError {
    status(401, "Unauthorized", "Unauthorized".into(), None)
}

/// `pods is forbidden: User "john" cannot list resource "pods" in API group "" in the namespace "dev1"`.
pub fn forbidden(
    user: &str,
    verb: &str,
    group: &str,
    resource: &str,
    subresource: Option<&str>,
    namespace: Option<&str>,
    name: Option<&str>,
) -> ApiError {
    let qualified = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    let what = match name {
        Some(n) => format!("{qualified} \"{n}\""),
        None => qualified,
    };
    let full_resource = match subresource {
        Some(s) => format!("{resource}/{s}"),
        None => resource.to_string(),
    };
    let scope = match namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let mut details = json!({ "kind": resource });
    if !group.is_empty() {
        details["group"] = group.into();
    }
    if let Some(n) = name {
        details["name"] = n.into();
    }
    status(
        403,
        "Forbidden",
        format!(
            "{what} is forbidden: User \"{user}\" cannot {verb} resource \"{full_resource}\" in API group \"{group}\" {scope}"
        ),
        Some(details),
    )
}

/// `forbidden: User "system:anonymous" cannot get path "/api"`: a non-resource URL.
pub fn forbidden_path(user: &str, verb: &str, path: &str) -> ApiError {
    status(
        403,
        "Forbidden",
        format!("forbidden: User \"{user}\" cannot {verb} path \"{path}\""),
        Some(json!({})),
    )
}

pub fn forbidden_message(kind: &str, group: &str, name: &str, message: &str) -> ApiError {
    status(
        403,
        "Forbidden",
        format!("{kind}.{group} \"{name}\" is forbidden: {message}"),
        Some(json!({ "name": name, "group": group, "kind": kind })),
    )
}

pub fn not_found(group: &str, resource: &str, name: &str) -> ApiError {
    let qualified = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    status(
        404,
        "NotFound",
        format!("{qualified} \"{name}\" not found"),
        Some(json!({ "name": name, "group": group, "kind": resource })),
    )
}

pub fn not_found_path() -> ApiError {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource".into(),
        None,
    )
}

/// Optimistic concurrency: an update naming a resourceVersion must name the current one.
pub fn check_resource_version(
    group: &str,
    resource: &str,
    name: &str,
    existing: &Value,
    body: &Value,
) -> Result<(), ApiError> {
    match body["metadata"]["resourceVersion"].as_str() {
        Some(asked) if !asked.is_empty() && existing["metadata"]["resourceVersion"] != asked => {
            let qualified = if group.is_empty() {
                resource.to_string()
            } else {
                format!("{resource}.{group}")
            };
            Err(status(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {qualified} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
                ),
                Some(json!({ "name": name, "group": group, "kind": resource })),
            ))
        }
        _ => Ok(()),
    }
}

pub fn already_exists(group: &str, resource: &str, name: &str) -> ApiError {
    let qualified = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    status(
        409,
        "AlreadyExists",
        format!("{qualified} \"{name}\" already exists"),
        Some(json!({ "name": name, "group": group, "kind": resource })),
    )
}

/// 422 with field causes, e.g. `spec.expirationSeconds: Invalid value: 300: ...`.
pub fn invalid(
    kind: &str,
    group: &str,
    name: &str,
    field: &str,
    value: Value,
    detail: &str,
) -> ApiError {
    let qualified = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    let shown = match &value {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    status(
        422,
        "Invalid",
        format!("{qualified} \"{name}\" is invalid: {field}: Invalid value: {shown}: {detail}"),
        Some(json!({ "name": name, "group": group, "kind": kind,
            "causes": [{ "reason": "FieldValueInvalid", "message": format!("Invalid value: {shown}: {detail}"), "field": field }] })),
    )
}

pub fn bad_request(message: &str) -> ApiError {
    status(400, "BadRequest", message.into(), None)
}

pub fn method_not_allowed() -> ApiError {
    status(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource".into(),
        None,
    )
}
