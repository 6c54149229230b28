//! CertificateSigningRequests as `certificates.k8s.io/v1` serves them: validation on create,
//! the requester's identity in `spec`, the `/approval` subresource with the signer check the
//! approval admission plugin does, `/status`, and a signer for `kubernetes.io/kube-apiserver-client`.

use std::sync::Arc;
use std::time::Duration;

use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::{X509Req, X509ReqBuilder};
use serde_json::{Value, json};

use super::authz::{self, Attributes};
use super::http::{Identity, Reply, Target, crud};
use super::status::{self, ApiError};
use super::{Shared, SignerMode};

const GROUP: &str = "certificates.k8s.io";
const KIND: &str = "CertificateSigningRequest";
const CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";
const ONE_YEAR: u64 = 365 * 86_400;

pub fn handle(
    shared: &Arc<Shared>,
    who: &Identity,
    t: &Target,
    verb: &str,
    body: Value,
) -> Result<Reply, ApiError> {
    match (verb, t.subresource.as_deref()) {
        ("create", None) => create(shared, who, t, body),
        ("update", Some("approval")) => approve(shared, who, t, body),
        ("update", Some("status")) => update_status(shared, t, body),
        (_, None) => crud(shared, t, verb, body),
        _ => Err(status::method_not_allowed()),
    }
}

fn create(shared: &Shared, who: &Identity, t: &Target, mut obj: Value) -> Result<Reply, ApiError> {
    let name = obj["metadata"]["name"]
        .as_str()
        .or(obj["metadata"]["generateName"].as_str())
        .unwrap_or("")
        .to_string();
    let invalid = |field: &str, value: Value, detail: &str| {
        status::invalid(KIND, GROUP, &name, field, value, detail)
    };
    let request = obj["spec"]["request"].as_str().unwrap_or("");
    let pem = openssl::base64::decode_block(request)
        .map_err(|_| invalid("spec.request", json!([]), "must be base64"))?;
    if X509Req::from_pem(&pem).is_err() {
        return Err(invalid(
            "spec.request",
            json!([]),
            "PEM block type must be CERTIFICATE REQUEST",
        ));
    }
    if obj["spec"]["signerName"]
        .as_str()
        .is_none_or(|s| s.is_empty() || !s.contains('/'))
    {
        return Err(invalid(
            "spec.signerName",
            obj["spec"]["signerName"].clone(),
            "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        ));
    }
    // Before v1.22 the field does not exist: the server drops it, and the signer's own duration
    // applies (kube-controller-manager --cluster-signing-duration).
    if shared.options.lock().unwrap().version.minor() < 22
        && let Some(spec) = obj["spec"].as_object_mut()
    {
        spec.remove("expirationSeconds");
    }
    if let Some(seconds) = obj["spec"]["expirationSeconds"].as_i64()
        && seconds < 600
    {
        return Err(invalid(
            "spec.expirationSeconds",
            json!(seconds),
            "may not specify a duration less than 600 seconds (10 minutes)",
        ));
    }
    // The server, not the client, says who asked.
    obj["spec"]["username"] = who.user.clone().into();
    obj["spec"]["groups"] = json!(who.groups);
    obj["status"] = json!({});
    if t.param("dryRun").is_some() {
        return Ok(Reply::Json(201, obj));
    }
    let mut store = shared.store.lock().unwrap();
    let created = store.create(GROUP, "certificatesigningrequests", "", obj)?;
    if shared.options.lock().unwrap().replace_created_csrs {
        replace_with_impostor(&mut store, &created);
    }
    Ok(Reply::Json(201, created))
}

fn new_key() -> PKey<openssl::pkey::Private> {
    PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
    )
    .unwrap()
}

/// The attack a CSR flow must survive: between create and approve, someone deletes our object
/// and creates his own under the same name, for his own key and with our subject.
fn replace_with_impostor(store: &mut super::store::Store, ours: &Value) {
    let name = ours["metadata"]["name"].as_str().unwrap_or_default();
    let pem = openssl::base64::decode_block(ours["spec"]["request"].as_str().unwrap_or(""))
        .unwrap_or_default();
    let their_key = new_key();
    let mut req = X509ReqBuilder::new().unwrap();
    req.set_subject_name(X509Req::from_pem(&pem).unwrap().subject_name())
        .unwrap();
    req.set_pubkey(&their_key).unwrap();
    req.sign(&their_key, MessageDigest::sha256()).unwrap();
    let mut theirs = ours.clone();
    theirs["metadata"] = json!({ "name": name, "labels": ours["metadata"]["labels"] });
    theirs["spec"]["request"] =
        openssl::base64::encode_block(&req.build().to_pem().unwrap()).into();
    theirs["spec"]["username"] = "mallory".into();
    theirs["spec"]["groups"] = json!(["system:authenticated"]);
    store.delete("certificatesigningrequests", "", name);
    store
        .create(GROUP, "certificatesigningrequests", "", theirs)
        .unwrap();
}

/// How long after approval the signer issues. kube-controller-manager's signer hears of the
/// approval through its informer and signs in a few milliseconds: issue 10 measured 21 ms from
/// create to issued on a v1.24 control plane, create and approve included. Approval to issued
/// here is that whole figure, so the fake is never faster than the real server.
const SIGNING_DELAY: Duration = Duration::from_millis(21);

/// PUT .../approval: replaces `status.conditions`. Approving also needs `approve` on the signer
/// (the real CertificateApproval admission plugin).
fn approve(
    shared: &Arc<Shared>,
    who: &Identity,
    t: &Target,
    body: Value,
) -> Result<Reply, ApiError> {
    let name = t.name.clone().unwrap_or_default();
    let mut store = shared.store.lock().unwrap();
    let mut existing = store
        .get("certificatesigningrequests", "", &name)
        .ok_or_else(|| status::not_found(GROUP, "certificatesigningrequests", &name))?;
    status::check_resource_version(GROUP, "certificatesigningrequests", &name, &existing, &body)?;
    let signer = existing["spec"]["signerName"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let wildcard = format!("{}/*", signer.split('/').next().unwrap_or(""));
    let may_approve = [signer.as_str(), wildcard.as_str()]
        .iter()
        .any(|resource_name| {
            authz::allowed(
                &store,
                &Attributes {
                    user: &who.user,
                    groups: &who.groups,
                    verb: "approve",
                    group: GROUP,
                    resource: "signers",
                    subresource: None,
                    namespace: None,
                    name: Some(resource_name),
                },
            )
            .is_some()
        });
    if !may_approve {
        return Err(status::forbidden_message(
            "certificatesigningrequests",
            GROUP,
            &name,
            &format!("user not permitted to approve requests with signerName \"{signer}\""),
        ));
    }
    let mut conditions = body["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for c in &mut conditions {
        if c.get("lastUpdateTime").is_none_or(Value::is_null) {
            c["lastUpdateTime"] = super::store::now_rfc3339().into();
        }
        if c.get("lastTransitionTime").is_none_or(Value::is_null) {
            c["lastTransitionTime"] = super::store::now_rfc3339().into();
        }
    }
    existing["status"]["conditions"] = Value::Array(conditions);
    let updated = store.update("certificatesigningrequests", "", &name, existing);
    drop(store);
    if is_true(&updated, "Approved") && signer == CLIENT_SIGNER {
        let shared = shared.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SIGNING_DELAY).await;
            sign(&shared, &name);
        });
    }
    Ok(Reply::Json(200, updated))
}

fn update_status(shared: &Shared, t: &Target, body: Value) -> Result<Reply, ApiError> {
    let name = t.name.clone().unwrap_or_default();
    let mut store = shared.store.lock().unwrap();
    let mut existing = store
        .get("certificatesigningrequests", "", &name)
        .ok_or_else(|| status::not_found(GROUP, "certificatesigningrequests", &name))?;
    existing["status"] = body["status"].clone();
    Ok(Reply::Json(
        200,
        store.update("certificatesigningrequests", "", &name, existing),
    ))
}

fn is_true(csr: &Value, kind: &str) -> bool {
    csr["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == kind && c["status"] == "True")
    })
}

/// The kube-controller-manager's signer for kube-apiserver-client, as configured.
fn sign(shared: &Shared, name: &str) {
    let options = shared.options.lock().unwrap().clone();
    let mut store = shared.store.lock().unwrap();
    let Some(mut csr) = store.get("certificatesigningrequests", "", name) else {
        return;
    };
    if !is_true(&csr, "Approved")
        || is_true(&csr, "Failed")
        || csr["status"]["certificate"].is_string()
    {
        return;
    }
    let fail = |csr: &mut Value, reason: &str, message: &str| {
        let mut conditions = csr["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        conditions.push(json!({ "type": "Failed", "status": "True", "reason": reason, "message": message,
            "lastUpdateTime": super::store::now_rfc3339(), "lastTransitionTime": super::store::now_rfc3339() }));
        csr["status"]["conditions"] = Value::Array(conditions);
    };
    match options.signer {
        SignerMode::Never => return,
        SignerMode::Deny => fail(
            &mut csr,
            "SignerValidationFailure",
            "the signer refused this request (test: signer set to deny)",
        ),
        SignerMode::Fail { reason, message } => fail(&mut csr, reason, message),
        SignerMode::Sign | SignerMode::WrongKey | SignerMode::WrongSubject { .. } => {
            let usages: Vec<&str> = csr["spec"]["usages"]
                .as_array()
                .map(|u| u.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let allowed = ["client auth", "digital signature", "key encipherment"];
            if !usages.contains(&"client auth") || usages.iter().any(|u| !allowed.contains(u)) {
                fail(
                    &mut csr,
                    "SignerValidationFailure",
                    "invalid usage for client certificate",
                );
            } else {
                let pem =
                    openssl::base64::decode_block(csr["spec"]["request"].as_str().unwrap_or(""))
                        .unwrap_or_default();
                let req = X509Req::from_pem(&pem).expect("validated at create");
                let text = |nid| {
                    req.subject_name()
                        .entries_by_nid(nid)
                        .filter_map(|e| e.data().to_string().ok())
                        .collect::<Vec<_>>()
                };
                let mut cn = text(Nid::COMMONNAME).into_iter().next().unwrap_or_default();
                let orgs = text(Nid::ORGANIZATIONNAME);
                let mut org_refs: Vec<&str> = orgs.iter().map(String::as_str).collect();
                let mut key = req.public_key().unwrap();
                match options.signer {
                    SignerMode::WrongKey => {
                        let other = new_key().public_key_to_der().unwrap();
                        key = PKey::public_key_from_der(&other).unwrap();
                    }
                    SignerMode::WrongSubject {
                        common_name,
                        groups,
                    } => {
                        cn = common_name.to_string();
                        org_refs = groups.to_vec();
                    }
                    _ => {}
                }
                // A v1.21 controller-manager does not know expirationSeconds.
                let asked = match csr["spec"]["expirationSeconds"].as_u64() {
                    Some(seconds) if options.version.minor() >= 22 => seconds,
                    _ => ONE_YEAR,
                };
                let max = options
                    .max_signing_duration
                    .map(|d| d.as_secs())
                    .unwrap_or(ONE_YEAR);
                let seconds = asked.min(max).min(ONE_YEAR);
                let cert = shared.pki.client_cert(&cn, &org_refs, &key, seconds as i64);
                csr["status"]["certificate"] =
                    openssl::base64::encode_block(&cert.to_pem().unwrap()).into();
            }
        }
    }
    store.update("certificatesigningrequests", "", name, csr);
}
