//! `add USER...`: key, certificate (signed by a local CA, or through the cluster's CSR API), kubeconfig user and
//! `USER@CLUSTER` context in one locked write, optional role binding, then an access check as the
//! new user.
//!
//! Order matters for "nothing lost": everything that can be refused (names, flags, kubeconfig
//! conflicts, the CA) is checked before a key is used or an API object created, and the
//! kubeconfig is only written once every certificate is in hand. The keys and the CA's load
//! start first, on other threads (`head_start`): in memory only, dropped on a refusal.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::AddArgs;
use crate::cluster;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::Kubeconfigs;
use crate::pki::{self, CertInfo, SecretPem};

pub(super) mod dry_run;
pub(super) mod entries;
mod head_start;
mod issue;
pub(super) mod keys;
pub(super) mod replace;
mod report;
pub(super) mod role_binding;
pub(super) mod signer;

use super::Ctx;
use crate::pki::names;
use crate::workflow::access_check::{self, IdentitiesInMaking};
use crate::workflow::{ledger_hooks, target};
use entries::{absolute, check_cert_dir, check_conflicts, write_kubeconfig};
use head_start::{CaLoading, KeysInMaking};
use replace::plan_users;
use report::{AddedUser, ask_access, attach_access, ledger_records, print_report, report_written};
use signer::{Signed, Signer};

/// A user whose certificate is issued but not yet written anywhere.
pub(super) struct IssuedUser {
    user: String,
    key: SecretPem,
    /// The same key, parsed: what the access check presents.
    private: pki::PrivateKey,
    signed: Signed,
    info: CertInfo,
}

pub fn run(ctx: &Ctx, args: &AddArgs) -> anyhow::Result<Outcome> {
    let groups = check_input(ctx, args)?;
    let validity = checked_lifetime(ctx, args)?;
    let ca = CaLoading::start(args);
    let through_api = ca.is_none();
    if through_api && !args.dry_run {
        cluster::warm_up_tls();
    }
    // Started now, used after the plan: a refusal on the way drops them unused. Except a fast
    // key for the CSR API: it is needed only after the administrator's TLS handshake, and made
    // first it held OpenSSL's first-use locks that the client's TLS set-up then waited on
    // (1-2 ms). An RSA key takes longer than all of that, and a local CA signs at once.
    let key_first = !through_api || args.key.key_type.is_rsa();
    let start_keys = || KeysInMaking::start(args.key.key_type, args.users.len());
    let mut keys = (!args.dry_run && key_first).then(start_keys);
    let plan = plan(ctx, args, &groups)?;
    let rt = super::runtime()?;
    // Opened while the CA loads (main would only wait for it): a ledger that cannot be written
    // stops the command before anything is issued.
    let ledger = match args.dry_run {
        true => None,
        false => ledger_hooks::open(ctx)?,
    };
    let signer = match ca {
        Some(ca) => Signer::Local(ca.wait()?),
        None => Signer::choose_in(ctx, &plan.kcs, &args.ca, &args.csr, &rt)?,
    };
    if !args.dry_run && keys.is_none() {
        keys = Some(start_keys());
    }
    let binder = role_binding::preflight(ctx, &args.rbac, &args.users, &rt, &signer)?;
    if args.dry_run {
        return dry_run::run(
            ctx,
            args,
            &plan.cluster,
            plan.cert_dir.as_deref(),
            &plan.groups_of(),
            &signer,
            validity,
        );
    }

    // The new users' client set-up needs only the cluster as read: made while they are signed.
    let mut identities = (!args.no_check).then(|| {
        let made =
            IdentitiesInMaking::start(access_check::client_view_in(ctx, &plan.kcs, &plan.cluster));
        // The cluster's signer takes tens of milliseconds at least: the users' connections are
        // opened meanwhile, as far as they go without the certificates.
        match signer.signer_at_work() {
            Some(at_work) => made.park_on(&rt, args.users.len(), at_work),
            None => made,
        }
    });
    let keys = keys.expect("made for every run but a dry one");
    let issued = issue::issue_all(ctx, args, &signer, &rt, &plan.groups_of(), keys, validity)?;
    let Plan {
        kcs,
        cluster,
        cert_dir,
        users,
    } = plan;
    // The check needs the certificates in memory and the cluster as read, not the written
    // kubeconfig: unless a binding must come first, it runs while the files are written.
    let check_beside = identities.take_if(|_| binder.is_none());
    let signed_by = signer.label();
    let (report, answers) = beside(
        || -> anyhow::Result<Vec<AddedUser>> {
            let written = write_kubeconfig(ctx, kcs, args, &cluster, cert_dir.as_deref(), &issued)?;
            let report = report_written(ctx, signed_by, &cluster, &issued, written, users);
            ledger_hooks::save(ctx, ledger.as_ref(), ledger_records(&report));
            Ok(report)
        },
        || check_beside.map(|made| ask_access(ctx, args, &rt, made, &issued)),
    );
    let mut report = report?;
    let names: Vec<String> = report.iter().map(|u| u.name.clone()).collect();
    let made = role_binding::bind(ctx, &args.rbac, &rt, binder.as_ref(), &names)?;
    for (entry, binding) in report.iter_mut().zip(made) {
        entry.binding = Some(binding);
    }
    // After the binding, when there is one.
    let answers = answers.or_else(|| Some(ask_access(ctx, args, &rt, identities?, &issued)));
    if let Some(answers) = answers {
        attach_access(ctx, answers, &issued, &mut report);
    }
    print_report(ctx, args, &report)?;
    Ok(Outcome::Ok)
}

/// `write` on a thread of its own while `other` runs here (it may use the runtime, which stays
/// on this thread); both results. A panic in `write` is this thread's panic.
fn beside<W: Send, O>(write: impl FnOnce() -> W + Send, other: impl FnOnce() -> O) -> (W, O) {
    std::thread::scope(|s| {
        let writer = std::thread::Builder::new()
            .name("write".into())
            .spawn_scoped(s, write)
            .expect("a thread for the kubeconfig write");
        let other = other();
        match writer.join() {
            Ok(written) => (written, other),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// What the command will do, decided from the kubeconfig before any key exists.
struct Plan {
    /// Read under the lock (unlocked for a dry run); the write reuses this parse.
    kcs: Kubeconfigs,
    cluster: String,
    cert_dir: Option<PathBuf>,
    /// Per user: its groups and the namespace of its context.
    users: Vec<(Vec<String>, Option<String>)>,
}

impl Plan {
    fn groups_of(&self) -> Vec<Vec<String>> {
        self.users.iter().map(|(g, _)| g.clone()).collect()
    }
}

/// The certificate lifetime asked for, refused or warned about by our policy for a local CA. The
/// CSR API has its own minimum (600 s) that no flag lifts.
fn checked_lifetime(ctx: &Ctx, args: &AddArgs) -> anyhow::Result<Duration> {
    let validity = signer::lifetime(args.lifetime.days, args.lifetime.duration)?;
    let local_ca = args.ca.ca_cert.is_some() || args.ca.kubeadm;
    if local_ca
        && let Some(warning) = pki::check_lifetime(validity, args.lifetime.allow_short_lifetime)?
    {
        ctx.out.warn(warning);
    }
    Ok(validity)
}

/// The target cluster, the cert folder, and per user what is replaced or created: every refusal
/// that needs the kubeconfig, before a key is made.
fn plan(ctx: &Ctx, args: &AddArgs, groups: &[String]) -> anyhow::Result<Plan> {
    // A real run reads under the lock, so it never sees a file kubectl is rewriting; a dry run
    // writes nothing and does not wait for anyone's lock.
    let kcs = if args.dry_run {
        Kubeconfigs::load(&ctx.sources)?
    } else {
        Kubeconfigs::load_locked(&ctx.sources)?
    };
    let cluster = target::cluster_name(ctx, &kcs)?;
    let cert_dir = args.cert_dir.as_deref().map(absolute).transpose()?;
    if let Some(dir) = &cert_dir {
        check_cert_dir(dir)?;
    }
    check_conflicts(&kcs, args, &cluster, cert_dir.as_deref())?;
    let users = plan_users(ctx, args, &kcs, &cluster, groups, group_policy(args))?;
    Ok(Plan {
        kcs,
        cluster,
        cert_dir,
        users,
    })
}

/// Names, groups and flag combinations, before anything is touched. Returns the groups.
fn check_input(ctx: &Ctx, args: &AddArgs) -> anyhow::Result<Vec<String>> {
    let mut seen = std::collections::BTreeSet::new();
    for user in &args.users {
        names::check_user(user, args.policy.allow_system_user)?;
        if !seen.insert(user.as_str()) {
            return Err(hinted(
                format!("user {user:?} is named twice"),
                "name each user once",
            ));
        }
    }
    let mut groups: Vec<String> = Vec::new();
    for group in &args.groups {
        if let Some(warning) = names::check_group(group, group_policy(args))? {
            ctx.out.warn(warning);
        }
        if !groups.contains(group) {
            groups.push(group.clone());
        }
    }
    if args.use_context && args.users.len() != 1 {
        return Err(hinted(
            "--use needs exactly one USER",
            "add the users, then `kubectl config use-context USER@CLUSTER`",
        ));
    }
    if args.rbac.role.is_some() && ctx.global.namespace.is_none() {
        return Err(hinted(
            "--role binds a Role in a namespace, and no namespace was given",
            "pass -n NAMESPACE",
        ));
    }
    for check in &args.checks {
        check.parse::<cluster::Check>().map_err(|e| hinted(format!("invalid --check {check:?}: {e}"), "write VERB:RESOURCE[.GROUP][/SUBRESOURCE], e.g. list:pods or create:deployments.apps"))?;
    }
    Ok(groups)
}

fn group_policy(args: &AddArgs) -> names::GroupPolicy {
    names::GroupPolicy {
        allow_system_masters: args.policy.allow_system_masters,
        allow_privileged: args.policy.allow_privileged_group,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::beside;

    #[test]
    fn the_write_and_the_other_work_run_at_the_same_time() {
        // The write waits for a word from the other side: run one after the other, it would
        // wait in vain (the bound only keeps a broken build from hanging the suite).
        let (tx, rx) = mpsc::channel();
        let (written, other) = beside(
            move || rx.recv_timeout(Duration::from_secs(30)).is_ok(),
            move || tx.send(()).is_ok(),
        );
        assert!(written, "the write never heard from the other side");
        assert!(other);
    }

    #[test]
    #[should_panic(expected = "disk on fire")]
    fn a_panic_in_the_write_is_not_lost() {
        beside(|| panic!("disk on fire"), || ());
    }
}
