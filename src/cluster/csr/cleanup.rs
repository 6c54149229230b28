//! Deleting the object we created, and only that one.

use std::time::Duration;

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::api::{Api, DeleteParams, Preconditions};

use crate::signals as interrupt;

/// The deletion of our object, started and not yet awaited: it runs while the caller writes the
/// kubeconfig and checks access, and [`CsrCleanup::finish`] collects its result. A SIGINT or
/// SIGTERM meanwhile lets the delete finish, then ends the process as the signal would have.
pub struct CsrCleanup {
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl CsrCleanup {
    /// Start deleting `name` (the object of that `uid` only), on the current runtime. The
    /// interrupt window stays open until the delete is done.
    pub(super) fn start(
        csrs: Api<CertificateSigningRequest>,
        name: String,
        uid: Option<String>,
        mut window: interrupt::Window,
    ) -> CsrCleanup {
        let task = tokio::spawn(async move {
            let delete = delete_ours(&csrs, &name, uid.as_deref());
            let mut delete = std::pin::pin!(delete);
            // A signal seen together with the answer still counts: checked first.
            tokio::select! {
                biased;
                signal = window.received() => {
                    let done = delete.await;
                    window.end_process(signal);
                    done
                }
                done = &mut delete => done,
            }
        });
        CsrCleanup { task }
    }

    /// Wait for the delete: `Err(why)` when the object could not be deleted.
    pub async fn finish(self) -> Result<(), String> {
        self.task
            .await
            .unwrap_or_else(|e| Err(format!("the delete did not run to its end ({e})")))
    }
}

/// How long a delete may take before we give up on it and say so.
const DELETE_TIMEOUT: Duration = Duration::from_secs(30);

/// Delete the object we created, and only that one: the uid precondition makes the server
/// refuse when another object has taken the name meanwhile. Gone already is fine.
pub(super) async fn delete_ours(
    csrs: &Api<CertificateSigningRequest>,
    name: &str,
    uid: Option<&str>,
) -> Result<(), String> {
    match tokio::time::timeout(DELETE_TIMEOUT, csrs.delete(name, &delete_params(uid))).await {
        Err(_) => Err(format!(
            "no answer within {}",
            crate::output::human_duration(DELETE_TIMEOUT.as_secs() as i64)
        )),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(()),
        Ok(Err(kube::Error::Api(s))) if s.code == 409 => {
            Err("another object has taken its name, so the uid precondition kept it".to_string())
        }
        Ok(Err(kube::Error::Api(s))) => Err(format!("{} {}: {}", s.code, s.reason, s.message)),
        Ok(Err(e)) => Err(e.to_string()),
    }
}

fn delete_params(uid: Option<&str>) -> DeleteParams {
    DeleteParams {
        preconditions: uid.map(|uid| Preconditions {
            uid: Some(uid.to_string()),
            resource_version: None,
        }),
        ..DeleteParams::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletes_only_the_object_we_created() {
        let params = delete_params(Some("1234-uid"));
        let json = serde_json::to_value(&params).unwrap();
        assert_eq!(json["preconditions"]["uid"], "1234-uid", "{json}");
        assert!(delete_params(None).preconditions.is_none());
    }
}
