//! Which kubeconfig users `apply` manages, recorded on the user entry itself: an extension
//! (`users[].user.extensions`, a list of `{name, extension}` that kubectl keeps through its own
//! rewrites and shows in `kubectl config view`) named [`EXTENSION`], holding the team file's list
//! name. `--prune` removes only users carrying the marker of the list being applied, so a user
//! made with `add`, or another team's, is never its to take.

use serde_json::{Map, Value, json};

pub const EXTENSION: &str = "certuser.kubectl.io/apply";

/// The list name a user body is marked with, if it is marked.
pub fn list_of(user: &Map<String, Value>) -> Option<&str> {
    user.get("extensions")?
        .as_array()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(EXTENSION))?
        .get("extension")?
        .get("userList")?
        .as_str()
}

/// `user` marked as managed by `list`: our extension set (in place when there is one), every
/// other extension and field kept.
pub fn marked(mut user: Map<String, Value>, list: &str) -> Map<String, Value> {
    // Keys in kubectl's (alphabetical) order, as `kubectl config` writes them.
    let ours = json!({ "extension": { "userList": list }, "name": EXTENSION });
    let extensions = user
        .entry("extensions")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !extensions.is_array() {
        *extensions = Value::Array(Vec::new()); // was null
    }
    let list = extensions.as_array_mut().expect("made an array above");
    match list
        .iter_mut()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(EXTENSION))
    {
        Some(existing) => *existing = ours,
        None => list.push(ours),
    }
    user
}

/// `user` without our marker (an emptied `extensions` list removed too); other extensions kept.
pub fn unmarked(mut user: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(list)) = user.get_mut("extensions") {
        list.retain(|e| e.get("name").and_then(Value::as_str) != Some(EXTENSION));
        if list.is_empty() {
            user.remove("extensions");
        }
    }
    user
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn marking_keeps_other_extensions_and_replaces_our_own() {
        let user = body(json!({
            "token": "t",
            "extensions": [
                { "name": "example.com/other", "extension": { "x": 1 } },
                { "name": EXTENSION, "extension": { "userList": "old" } },
            ],
        }));
        assert_eq!(list_of(&user), Some("old"));
        let user = marked(user, "team-a");
        assert_eq!(list_of(&user), Some("team-a"));
        assert_eq!(user["token"], "t");
        let extensions = user["extensions"].as_array().unwrap();
        assert_eq!(extensions.len(), 2);
        assert_eq!(extensions[0]["extension"]["x"], 1);
    }

    #[test]
    fn an_unmarked_user_gets_the_marker() {
        assert_eq!(list_of(&body(json!({ "extensions": null }))), None);
        let user = marked(body(json!({ "extensions": null })), "default");
        assert_eq!(
            user["extensions"],
            json!([{ "name": EXTENSION, "extension": { "userList": "default" } }])
        );
        let odd = body(json!({ "extensions": [{ "name": EXTENSION, "extension": "x" }] }));
        assert_eq!(list_of(&odd), None, "a marker we cannot read is no marker");
    }

    #[test]
    fn unmarking_removes_only_our_extension() {
        let user = body(json!({
            "extensions": [
                { "name": "example.com/other", "extension": { "x": 1 } },
                { "name": EXTENSION, "extension": { "userList": "team-a" } },
            ],
        }));
        let user = unmarked(user);
        assert_eq!(list_of(&user), None);
        assert_eq!(user["extensions"].as_array().unwrap().len(), 1);
        let only_ours = unmarked(marked(Map::new(), "team-a"));
        assert!(only_ours.is_empty(), "{only_ours:?}");
    }
}
