//! Connections, authentication, routing: `/version`, discovery, and resource paths
//! `/api/v1/...` and `/apis/GROUP/VERSION/[namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]]`.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response};
use serde_json::{Value, json};

use super::authz::{self, Attributes};
use super::discovery::{self, Resource};
use super::status::{self, ApiError};
use super::{RequestRecord, Shared, admission, csr, faults, protobuf, reviews};

pub type Body = BoxBody<Bytes, Infallible>;

/// Who a request comes from: CN and O's of the verified client certificate, or
/// `system:anonymous` for a request without credentials.
#[derive(Clone, Debug)]
pub struct Identity {
    pub user: String,
    pub groups: Vec<String>,
}

pub async fn serve(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let http2 = shared.options.lock().unwrap().http2;
    let acceptor = Arc::new(shared.pki.acceptor(http2));
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted { Ok(a) => a, Err(_) => continue },
            _ = &mut shutdown => return,
        };
        // Go's net package sets TCP_NODELAY on every connection, so the real apiserver does not
        // hold a response's second segment until the client's delayed ACK (~40 ms).
        let _ = tcp.set_nodelay(true);
        let (shared, acceptor) = (shared.clone(), acceptor.clone());
        shared
            .accepted
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let handshake_timeout = shared.options.lock().unwrap().handshake_timeout;
        tokio::spawn(async move {
            let ssl = openssl::ssl::Ssl::new(acceptor.context()).unwrap();
            let mut stream = tokio_openssl::SslStream::new(ssl, tcp).unwrap();
            let handshake = std::pin::Pin::new(&mut stream).accept();
            let handshake = match handshake_timeout {
                None => handshake.await,
                Some(limit) => match tokio::time::timeout(limit, handshake).await {
                    Ok(done) => done,
                    Err(_) => {
                        shared
                            .handshakes_timed_out
                            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        return;
                    }
                },
            };
            // A certificate from another CA, or expired, fails here, as with the real server.
            if handshake.is_err() {
                return;
            }
            let certificate = match stream.ssl().peer_certificate() {
                None => ClientCertificate::None,
                Some(cert) => {
                    let none = openssl::stack::Stack::new().unwrap();
                    let chain = stream.ssl().peer_cert_chain().unwrap_or(&none);
                    if shared.pki.verifies_client(&cert, chain) {
                        ClientCertificate::Accepted(identity_of(&cert))
                    } else {
                        ClientCertificate::Rejected
                    }
                }
            };
            let user = match &certificate {
                ClientCertificate::Accepted(identity) => Some(identity.user.clone()),
                _ => None,
            };
            shared.handshakes.lock().unwrap().push(user);
            let service = hyper::service::service_fn(move |req| {
                let (shared, certificate) = (shared.clone(), certificate.clone());
                async move {
                    let (method, path) = (req.method().to_string(), req.uri().path().to_string());
                    let query = req.uri().query().unwrap_or("").to_string();
                    let normal = handle(shared.clone(), certificate, req);
                    let answer = faults::intercept(&shared, &method, &path, &query, normal);
                    Ok::<_, Infallible>(answer.await)
                }
            });
            // The protocol ALPN chose, as Go's server does (`TLSNextProto["h2"]`): HTTP/2 is
            // never assumed on a connection that did not negotiate it.
            let http2 = stream.ssl().selected_alpn_protocol() == Some(b"h2");
            let io = hyper_util::rt::TokioIo::new(stream);
            if http2 {
                let executor = hyper_util::rt::TokioExecutor::new();
                let _ = hyper::server::conn::http2::Builder::new(executor)
                    .serve_connection(io, service)
                    .await;
            } else {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            }
        });
    }
}

/// What the TLS handshake brought: no certificate, or one the authenticator rejected or accepted.
#[derive(Clone)]
enum ClientCertificate {
    None,
    Rejected,
    Accepted(Identity),
}

/// The x509 authenticator's user: CN is the name, each O a group.
fn identity_of(cert: &openssl::x509::X509) -> Identity {
    let text = |nid| {
        cert.subject_name()
            .entries_by_nid(nid)
            .filter_map(|e| e.data().to_string().ok())
            .collect::<Vec<_>>()
    };
    let mut groups = text(openssl::nid::Nid::ORGANIZATIONNAME);
    groups.push("system:authenticated".into());
    Identity {
        user: text(openssl::nid::Nid::COMMONNAME)
            .into_iter()
            .next()
            .unwrap_or_default(),
        groups,
    }
}

pub fn json_response(code: u16, body: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(body).unwrap())).boxed())
        .unwrap()
}

fn text_response(code: u16, body: &'static str) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(body.as_bytes())).boxed())
        .unwrap()
}

fn error(e: ApiError) -> Response<Body> {
    json_response(e.code, &e.body)
}

/// A parsed resource request.
pub struct Target {
    pub resource: &'static Resource,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    pub query: Vec<(String, String)>,
}

impl Target {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }
}

/// What a resource URL asks for, read from the path alone, as the apiserver's
/// `RequestInfoFactory` does before it knows whether the resource exists:
/// `/api/v1/...` or `/apis/GROUP/VERSION/...`, then `[namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]]`.
#[derive(Debug, PartialEq, Eq)]
struct RequestInfo<'a> {
    group: &'a str,
    version: &'a str,
    namespace: Option<&'a str>,
    resource: &'a str,
    name: Option<&'a str>,
    subresource: Option<&'a str>,
    /// More segments than RESOURCE/NAME/SUBRESOURCE: no object has such a path.
    too_deep: bool,
}

impl<'a> RequestInfo<'a> {
    fn parse(segments: &[&'a str]) -> Option<RequestInfo<'a>> {
        let (group, version, mut parts) = match segments {
            ["api", version, rest @ ..] => ("", *version, rest),
            ["apis", group, version, rest @ ..] => (*group, *version, rest),
            _ => return None,
        };
        let mut namespace = None;
        if let ["namespaces", ns, rest @ ..] = parts {
            namespace = Some(*ns);
            // `namespaces/NS/status` and `/finalize` are the Namespace's own subresources.
            if !rest.is_empty() && !matches!(rest[0], "status" | "finalize") {
                parts = rest;
            }
        }
        let resource = *parts.first()?;
        Some(RequestInfo {
            group,
            version,
            namespace,
            resource,
            name: parts.get(1).copied(),
            subresource: parts.get(2).copied(),
            too_deep: parts.len() > 3,
        })
    }
}

/// The authenticator chain of a cluster with anonymous auth on (kubeadm's default): a verified
/// client certificate names the user; a certificate the client CA does not vouch for, or a
/// bearer token (this server knows none), is 401; no credentials at all is `system:anonymous`.
fn authenticate(
    certificate: ClientCertificate,
    req: &Request<Incoming>,
) -> Result<Identity, ApiError> {
    match certificate {
        ClientCertificate::Accepted(identity) => Ok(identity),
        ClientCertificate::Rejected => Err(status::unauthorized()),
        ClientCertificate::None if req.headers().contains_key("authorization") => {
            Err(status::unauthorized())
        }
        ClientCertificate::None => Ok(Identity {
            user: "system:anonymous".into(),
            groups: vec!["system:unauthenticated".into()],
        }),
    }
}

async fn handle(
    shared: Arc<Shared>,
    certificate: ClientCertificate,
    req: Request<Incoming>,
) -> Response<Body> {
    let identity = authenticate(certificate, &req);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    shared.requests.lock().unwrap().push(RequestRecord {
        version: req.version(),
        method: method.to_string(),
        path: if query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{query}")
        },
        user: identity.as_ref().ok().map(|i| i.user.clone()),
    });
    // Authentication first: a certificate the client CA does not vouch for is 401.
    let identity = match identity {
        Ok(identity) => identity,
        Err(e) => return error(e),
    };
    let protobuf = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/vnd.kubernetes.protobuf"));
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();

    let server_version = shared.options.lock().unwrap().version;
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let resource_request = matches!(
        segments.as_slice(),
        ["api", _, _, ..] | ["apis", _, _, _, ..]
    );
    if !resource_request {
        // Non-resource URLs are authorized too: system:discovery lets every authenticated user
        // read discovery, system:public-info-viewer lets anyone read /version and the health checks.
        let verb = method.as_str().to_lowercase();
        let allowed = authz::allowed_path(
            &shared.store.lock().unwrap(),
            &identity.user,
            &identity.groups,
            &verb,
            &path,
        );
        if !allowed {
            return error(status::forbidden_path(&identity.user, &verb, &path));
        }
    }
    match segments.as_slice() {
        ["version"] => return json_response(200, &discovery::version(server_version)),
        ["healthz"] | ["livez"] | ["readyz"] => return text_response(200, "ok"),
        ["api"] => return json_response(200, &discovery::api_versions()),
        ["apis"] => return json_response(200, &discovery::api_group_list(server_version)),
        ["api", v] | ["apis", "", v] => {
            return discovery::resource_list(server_version, "", v)
                .map(|l| json_response(200, &l))
                .unwrap_or_else(|| error(status::not_found_path()));
        }
        ["apis", g, v] => {
            return discovery::resource_list(server_version, g, v)
                .map(|l| json_response(200, &l))
                .unwrap_or_else(|| error(status::not_found_path()));
        }
        _ => {}
    }
    let Some(info) = RequestInfo::parse(&segments) else {
        return error(status::not_found_path());
    };
    let query: Vec<(String, String)> = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), percent_decode(v))
        })
        .collect();
    let watching = query
        .iter()
        .any(|(k, v)| k == "watch" && (v == "true" || v == "1"));
    let verb = match (&method, info.name.is_some(), watching) {
        (&Method::GET, _, true) => "watch",
        (&Method::GET, true, _) => "get",
        (&Method::GET, false, _) => "list",
        (&Method::POST, _, _) => "create",
        (&Method::PUT, _, _) => "update",
        (&Method::PATCH, _, _) => "patch",
        (&Method::DELETE, true, _) => "delete",
        (&Method::DELETE, false, _) => "deletecollection",
        _ => return error(status::method_not_allowed()),
    };
    // The real server's order: authentication (above), then authorization of what the URL asks
    // for, and only then the lookup. So a plain user asking for an API this version does not
    // have is refused (403), and only a caller allowed everything learns it is not there (404).
    let attributes = Attributes {
        user: &identity.user,
        groups: &identity.groups,
        verb,
        group: info.group,
        resource: info.resource,
        subresource: info.subresource,
        namespace: info.namespace,
        name: info.name,
    };
    if authz::allowed(&shared.store.lock().unwrap(), &attributes).is_none() {
        return error(status::forbidden(
            &identity.user,
            verb,
            info.group,
            info.resource,
            info.subresource,
            info.namespace,
            info.name,
        ));
    }
    let Some(resource) = discovery::find(server_version, info.group, info.version, info.resource)
    else {
        return error(status::not_found_path());
    };
    // A cluster-scoped resource has no namespaced path, and only the subresources a resource
    // has are routed: `/api/v1/namespaces/dev1/foos` is not the Namespace dev1, and a deeper
    // path names no object at all.
    if info.namespace.is_some() && !resource.namespaced && resource.plural != "namespaces" {
        return error(status::not_found_path());
    }
    if info.too_deep
        || info
            .subresource
            .is_some_and(|s| !resource.subresources.contains(&s))
    {
        return error(status::not_found_path());
    }
    let target = Target {
        resource,
        namespace: if resource.namespaced {
            info.namespace.map(String::from)
        } else {
            None
        },
        name: info.name.map(String::from),
        subresource: info.subresource.map(String::from),
        query,
    };
    let body: Value = if body.is_empty() {
        Value::Null
    } else if protobuf {
        match protobuf::decode(&body) {
            Some(v) => v,
            None => {
                return error(status::bad_request(
                    "the body of the request was in an unknown format: not a Kubernetes protobuf envelope",
                ));
            }
        }
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error(status::bad_request(&format!(
                    "the body of the request was in an unknown format: {e}"
                )));
            }
        }
    };

    if let Err(e) = admission::admit(&shared, &identity, &target, verb, &body) {
        return error(e);
    }
    let result = match resource.plural {
        "selfsubjectreviews"
        | "selfsubjectaccessreviews"
        | "selfsubjectrulesreviews"
        | "tokenreviews" => reviews::handle(&shared, &identity, &target, body),
        "certificatesigningrequests" => csr::handle(&shared, &identity, &target, verb, body),
        _ => crud(&shared, &target, verb, body),
    };
    match result {
        Ok(Reply::Json(code, v)) => json_response(code, &v),
        Ok(Reply::Watch) => watch(shared, target),
        Err(e) => error(e),
    }
}

pub enum Reply {
    Json(u16, Value),
    Watch,
}

/// Plain create/get/list/update/delete for the resources without special rules.
pub fn crud(shared: &Shared, t: &Target, verb: &str, body: Value) -> Result<Reply, ApiError> {
    let r = t.resource;
    let mut store = shared.store.lock().unwrap();
    let name = t.name.clone().unwrap_or_default();
    match verb {
        "get" => store.get(r.plural, t.ns(), &name).map(|o| Reply::Json(200, o)).ok_or_else(|| status::not_found(r.group, r.plural, &name)),
        "list" => {
            let items: Vec<Value> = store.list(r.plural, t.namespace.as_deref()).into_iter().filter(|o| field_selector_matches(t, o)).collect();
            let api_version = if r.group.is_empty() { r.version.to_string() } else { format!("{}/{}", r.group, r.version) };
            Ok(Reply::Json(200, json!({ "kind": format!("{}List", r.kind), "apiVersion": api_version, "metadata": { "resourceVersion": store.version().to_string() }, "items": items })))
        }
        "watch" => Ok(Reply::Watch),
        "create" => {
            let mut obj = body;
            if r.namespaced && obj["metadata"]["namespace"].as_str().is_some_and(|ns| ns != t.ns()) {
                return Err(status::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
            }
            if t.param("dryRun").is_some() {
                obj["metadata"]["creationTimestamp"] = Value::Null;
                return Ok(Reply::Json(201, obj));
            }
            store.create(r.group, r.plural, t.ns(), obj).map(|o| Reply::Json(201, o))
        }
        "update" => {
            let existing = store.get(r.plural, t.ns(), &name).ok_or_else(|| status::not_found(r.group, r.plural, &name))?;
            status::check_resource_version(r.group, r.plural, &name, &existing, &body)?;
            let mut obj = body;
            obj["metadata"]["uid"] = existing["metadata"]["uid"].clone();
            obj["metadata"]["creationTimestamp"] = existing["metadata"]["creationTimestamp"].clone();
            Ok(Reply::Json(200, store.update(r.plural, t.ns(), &name, obj)))
        }
        "delete" => store
            .delete(r.plural, t.ns(), &name)
            .map(|o| Reply::Json(200, json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": { "name": name, "group": r.group, "kind": r.plural, "uid": o["metadata"]["uid"] } })))
            .ok_or_else(|| status::not_found(r.group, r.plural, &name)),
        _ => Err(status::method_not_allowed()),
    }
}

pub fn field_selector_matches(t: &Target, obj: &Value) -> bool {
    match t.param("fieldSelector") {
        Some(sel) if !sel.is_empty() => sel.split(',').all(|term| match term.split_once('=') {
            Some(("metadata.name", v)) => obj["metadata"]["name"] == v.trim_start_matches('='),
            Some(("metadata.namespace", v)) => {
                obj["metadata"]["namespace"] == v.trim_start_matches('=')
            }
            _ => true,
        }),
        _ => true,
    }
}

/// A watch: newline-delimited `{"type", "object"}` events, starting with changes newer than
/// `resourceVersion` (or everything, without one), until `timeoutSeconds` (at most 60 s here).
fn watch(shared: Arc<Shared>, t: Target) -> Response<Body> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let mut events = shared.store.lock().unwrap().events.subscribe();
    let since: u64 = t
        .param("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let timeout: u64 = t
        .param("timeoutSeconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
        .min(60);
    let line = |kind: &str, object: &Value| {
        let mut bytes = serde_json::to_vec(&json!({ "type": kind, "object": object })).unwrap();
        bytes.push(b'\n');
        Bytes::from(bytes)
    };
    let current: Vec<Value> = shared
        .store
        .lock()
        .unwrap()
        .list(t.resource.plural, t.namespace.as_deref());
    tokio::spawn(async move {
        for obj in current.iter().filter(|o| field_selector_matches(&t, o)) {
            let version: u64 = obj["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if version > since {
                let kind = if since == 0 { "ADDED" } else { "MODIFIED" };
                if tx.send(line(kind, obj)).await.is_err() {
                    return;
                }
            }
        }
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(timeout);
        loop {
            let event = tokio::select! {
                e = events.recv() => match e { Ok(e) => e, Err(_) => return },
                _ = tokio::time::sleep_until(deadline) => return,
            };
            let in_scope = event.resource == t.resource.plural
                && t.namespace
                    .as_deref()
                    .is_none_or(|ns| ns == event.namespace);
            if in_scope
                && field_selector_matches(&t, &event.object)
                && tx.send(line(event.kind, &event.object)).await.is_err()
            {
                return;
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    Response::builder()
        .status(200)
        .header("Content-Type", "application/json")
        .body(StreamBody::new(stream).boxed())
        .unwrap()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
