//! The objects the fake server holds, with resourceVersions and a feed of watch events.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::status::{self, ApiError};

/// (resource plural, namespace or "", name)
type Key = (String, String, String);

#[derive(Clone, Debug)]
pub struct Event {
    pub resource: String,
    pub namespace: String,
    pub kind: &'static str,
    pub object: Value,
}

pub struct Store {
    objects: BTreeMap<Key, Value>,
    version: u64,
    pub events: broadcast::Sender<Event>,
}

impl Store {
    pub fn new() -> Store {
        Store {
            objects: BTreeMap::new(),
            version: 1,
            events: broadcast::channel(1024).0,
        }
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    fn bump(&mut self, obj: &mut Value) {
        self.version += 1;
        obj["metadata"]["resourceVersion"] = self.version.to_string().into();
    }

    fn emit(&self, resource: &str, namespace: &str, kind: &'static str, object: &Value) {
        let _ = self.events.send(Event {
            resource: resource.into(),
            namespace: namespace.into(),
            kind,
            object: object.clone(),
        });
    }

    /// Create, as the API server does: generateName, uid, creationTimestamp, resourceVersion.
    pub fn create(
        &mut self,
        group: &str,
        resource: &str,
        namespace: &str,
        mut obj: Value,
    ) -> Result<Value, ApiError> {
        if obj.get("metadata").is_none_or(|m| !m.is_object()) {
            obj["metadata"] = json!({});
        }
        let name = match obj["metadata"]["name"].as_str().filter(|n| !n.is_empty()) {
            Some(n) => n.to_string(),
            None => match obj["metadata"]["generateName"].as_str() {
                Some(prefix) => format!("{prefix}{}", random_suffix()),
                None => {
                    return Err(status::invalid(
                        resource,
                        group,
                        "",
                        "metadata.name",
                        json!(""),
                        "name or generateName is required",
                    ));
                }
            },
        };
        let key = (resource.to_string(), namespace.to_string(), name.clone());
        if self.objects.contains_key(&key) {
            return Err(status::already_exists(group, resource, &name));
        }
        obj["metadata"]["name"] = name.into();
        if !namespace.is_empty() {
            obj["metadata"]["namespace"] = namespace.into();
        }
        obj["metadata"]["uid"] = uuid().into();
        obj["metadata"]["creationTimestamp"] = now_rfc3339().into();
        self.bump(&mut obj);
        self.emit(resource, namespace, "ADDED", &obj);
        self.objects.insert(key, obj.clone());
        Ok(obj)
    }

    pub fn get(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        self.objects
            .get(&(
                resource.to_string(),
                namespace.to_string(),
                name.to_string(),
            ))
            .cloned()
    }

    /// Objects of a resource, in one namespace or (None) all of them.
    pub fn list(&self, resource: &str, namespace: Option<&str>) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((r, ns, _), _)| r == resource && namespace.is_none_or(|n| n == ns))
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn update(&mut self, resource: &str, namespace: &str, name: &str, mut obj: Value) -> Value {
        self.bump(&mut obj);
        self.emit(resource, namespace, "MODIFIED", &obj);
        self.objects.insert(
            (resource.into(), namespace.into(), name.into()),
            obj.clone(),
        );
        obj
    }

    pub fn delete(&mut self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        let mut obj = self
            .objects
            .remove(&(resource.into(), namespace.into(), name.into()))?;
        self.bump(&mut obj);
        self.emit(resource, namespace, "DELETED", &obj);
        Some(obj)
    }
}

fn random_suffix() -> String {
    let mut b = [0u8; 3];
    openssl::rand::rand_bytes(&mut b).unwrap();
    b.iter().map(|x| format!("{:02x}", x)).collect::<String>()[..5].to_string()
}

fn uuid() -> String {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).unwrap();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
