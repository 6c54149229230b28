//! Our CSR objects still being deleted while the command goes on.

use std::cell::RefCell;

use crate::cluster;

/// The deletions of our CSR objects still under way. They run beside what the command does
/// next (they need nothing from it); dropping this waits for each and warns about any that
/// failed, so no command ends before its objects are gone.
pub struct Deletions<'rt> {
    pub(super) rt: &'rt tokio::runtime::Runtime,
    pub(super) out: crate::output::Output,
    pub(super) pending: RefCell<Vec<(String, cluster::CsrCleanup)>>,
}

impl Deletions<'_> {
    pub(super) fn add(&self, name: String, cleanup: cluster::CsrCleanup) {
        self.pending.borrow_mut().push((name, cleanup));
    }
}

impl Drop for Deletions<'_> {
    fn drop(&mut self) {
        let pending = self.pending.take();
        // Inside the runtime (never, as the commands use it) the tasks run on without us.
        if pending.is_empty() || tokio::runtime::Handle::try_current().is_ok() {
            return;
        }
        for (name, cleanup) in pending {
            if let Err(why) = self.rt.block_on(cleanup.finish()) {
                // The object holds no secret: a failed delete is said, not allowed to hide the result.
                self.out.warn(not_deleted(&name, &why));
            }
        }
    }
}

pub(super) fn not_deleted(name: &str, why: &str) -> String {
    format!(
        "CertificateSigningRequest {name} could not be deleted ({why}); it holds no secret, but delete it with `kubectl delete csr {name}`"
    )
}
