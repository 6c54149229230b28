//! The self-review APIs, answered for the requester: SelfSubjectReview (who am I),
//! SelfSubjectAccessReview (may I), SelfSubjectRulesReview (what may I); and TokenReview, which
//! this server, knowing no tokens, always answers "not authenticated".

use serde_json::{Value, json};

use super::Shared;
use super::authz::{self, Attributes};
use super::http::{Identity, Reply, Target};
use super::status::{self, ApiError};

pub fn handle(shared: &Shared, who: &Identity, t: &Target, body: Value) -> Result<Reply, ApiError> {
    if body.is_null() {
        return Err(status::bad_request("the request body is empty"));
    }
    let mut answer = body;
    answer["metadata"]["creationTimestamp"] = Value::Null;
    match t.resource.plural {
        "selfsubjectreviews" => {
            answer["status"] =
                json!({ "userInfo": { "username": who.user, "groups": who.groups } });
        }
        "selfsubjectaccessreviews" => {
            let attrs = &answer["spec"]["resourceAttributes"];
            let text = |k: &str| attrs[k].as_str().unwrap_or("").to_string();
            let (verb, group, resource, subresource, namespace, name) = (
                text("verb"),
                text("group"),
                text("resource"),
                text("subresource"),
                text("namespace"),
                text("name"),
            );
            let store = shared.store.lock().unwrap();
            let decision = authz::allowed(
                &store,
                &Attributes {
                    user: &who.user,
                    groups: &who.groups,
                    verb: &verb,
                    group: &group,
                    resource: &resource,
                    subresource: Some(subresource.as_str()).filter(|s| !s.is_empty()),
                    namespace: Some(namespace.as_str()).filter(|s| !s.is_empty()),
                    name: Some(name.as_str()).filter(|s| !s.is_empty()),
                },
            );
            answer["status"] = match decision {
                Some(reason) => json!({ "allowed": true, "reason": reason }),
                None => json!({ "allowed": false }),
            };
        }
        "selfsubjectrulesreviews" => {
            let namespace = answer["spec"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let store = shared.store.lock().unwrap();
            let rules = authz::rules_for(&store, &who.user, &who.groups, &namespace);
            let (resource_rules, non_resource): (Vec<Value>, Vec<Value>) = rules
                .into_iter()
                .partition(|r| r.get("nonResourceURLs").is_none());
            answer["status"] = json!({ "resourceRules": resource_rules, "nonResourceRules": non_resource, "incomplete": false });
        }
        "tokenreviews" => {
            answer["status"] = json!({ "authenticated": false, "error": "this server authenticates client certificates only" });
        }
        _ => return Err(status::not_found_path()),
    }
    Ok(Reply::Json(201, answer))
}
