//! The access check `add`, `whoami` and `can-i` share: who the server says the user is, what the
//! user may do in the namespace, and a plain verdict of what is missing.

use openssl::pkey::{PKeyRef, Private};
use serde::Serialize;

use futures::StreamExt as _;

use crate::cluster::{self, Check, CheckResult, ClusterError, Identity, Verdict};
use crate::kubeconfig::{ClientView, Kubeconfigs, Selection};

use super::Ctx;

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReport {
    pub namespace: String,
    pub identity: Option<Identity>,
    pub checks: Vec<CheckResult>,
    /// SelfSubjectRulesReview, one line per rule: `get, list, watch: pods, services`.
    pub rules: Vec<String>,
    pub verdict: Verdict,
}

/// The checks to run: the default set plus `--check` ones (already validated).
pub fn checks_with(extra: &[String]) -> Vec<Check> {
    let mut checks = cluster::default_checks();
    for text in extra {
        if let Ok(check) = text.parse::<Check>()
            && !checks.contains(&check)
        {
            checks.push(check);
        }
    }
    checks
}

/// Run the whole check with `client` (already authenticated as `user`).
pub async fn check(
    client: &cluster::ApiClient,
    user: &str,
    namespace: &str,
    checks: &[Check],
) -> anyhow::Result<AccessReport> {
    // Independent questions, asked at once: one round trip instead of three.
    // SelfSubjectAccessReview decides, and every server since v1.19 has it: its errors (401,
    // unreachable) are the check's. Who the server says we are only adds to the verdict, so a
    // server that cannot say does not fail the check.
    let (identity, results, rules) = futures::join!(
        cluster::whoami(client),
        cluster::can_i(client, Some(namespace), checks),
        cluster::rules(client, namespace),
    );
    let (identity, results) = (identity.ok(), results?);
    let verdict = cluster::verdict(user, identity.as_ref(), namespace, &results);
    // A summary only: a server that refuses it does not fail the check.
    let rules = rules.unwrap_or_default();
    Ok(AccessReport {
        namespace: namespace.to_string(),
        identity,
        checks: results,
        rules,
        verdict,
    })
}

/// A user just added, with the certificate and key still only in memory.
pub struct NewUser<'a> {
    pub name: &'a str,
    pub cert_pem: &'a [u8],
    pub key: &'a PKeyRef<Private>,
    /// Where to check, when not the command's namespace (`apply`: each user's own).
    pub namespace: Option<&'a str>,
}

/// How many new users are checked at once (each on its own connection).
const CHECKS_AT_ONCE: usize = 8;

/// Right after `add`: connect as each new user and check what they may do. A cluster we cannot
/// reach is reported, not fatal: the users are added either way. The kubeconfig is read once,
/// and a cluster that cannot be reached (or whose TLS fails) gives one answer for every user
/// instead of each user waiting on its own connection attempt.
pub fn check_new_users(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    cluster_name: &str,
    users: &[NewUser<'_>],
    extra: &[String],
) -> Vec<Option<AccessReport>> {
    let identities = client_view(ctx, cluster_name)
        .and_then(|view| Ok(rt.block_on(cluster::NewIdentities::for_cluster(&view))?));
    ask_new_users(ctx, rt, identities, users, extra).say(ctx, users)
}

/// The new users' shared client set-up for the view's cluster, made on a thread of its own: it
/// needs nothing from the signing, so `add` has it ready when the certificates come.
pub struct IdentitiesInMaking(Making);

enum Making {
    Unmade(Unmade),
    /// Made, then connections parked for the users ([`IdentitiesInMaking::park_on`]).
    Parking {
        task: tokio::task::JoinHandle<anyhow::Result<cluster::NewIdentities>>,
        /// Sent by `wait`: stop waiting for the signer, the certificates are here.
        now: tokio::sync::oneshot::Sender<()>,
    },
}

enum Unmade {
    Thread(std::thread::JoinHandle<anyhow::Result<cluster::NewIdentities>>),
    /// No thread could be started (or the view was refused): made in `wait` instead.
    Later(Box<anyhow::Result<ClientView>>),
}

impl IdentitiesInMaking {
    pub fn start(view: anyhow::Result<ClientView>) -> IdentitiesInMaking {
        let unmade = match view {
            Err(_) => Unmade::Later(Box::new(view)),
            Ok(view) => {
                let copy = view.clone();
                let thread = std::thread::Builder::new()
                    .name("identities".into())
                    .spawn(move || make_identities(copy));
                match thread {
                    Ok(thread) => Unmade::Thread(thread),
                    Err(_) => Unmade::Later(Box::new(Ok(view))),
                }
            }
        };
        IdentitiesInMaking(Making::Unmade(unmade))
    }

    /// Once made, and once `at_work` turns true (the cluster's signer is at work), open a
    /// connection for each user's check (at most [`CHECKS_AT_ONCE`]) that waits in its TLS
    /// handshake for the certificate (`NewIdentities::park`), on `rt`, which the signing drives
    /// meanwhile. Not sooner: the calls before the signer's wait share the runtime's thread and
    /// the server with it.
    pub fn park_on(
        self,
        rt: &tokio::runtime::Runtime,
        users: usize,
        mut at_work: tokio::sync::watch::Receiver<bool>,
    ) -> IdentitiesInMaking {
        let Making::Unmade(unmade) = self.0 else {
            return self;
        };
        // As many as are checked at once; later users connect when their turn comes.
        let count = users.min(CHECKS_AT_ONCE);
        let (now, mut waited) = tokio::sync::oneshot::channel();
        let task = rt.spawn(async move {
            let made = tokio::task::spawn_blocking(move || unmade.make()).await;
            let made = made.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))?;
            tokio::select! {
                biased;
                // The signer gone without waiting (a refusal): nothing to park for.
                at_work = at_work.wait_for(|at_work| *at_work) => if at_work.is_ok() {
                    made.park(count);
                },
                _ = &mut waited => {}
            }
            Ok(made)
        });
        IdentitiesInMaking(Making::Parking { task, now })
    }

    pub fn wait(self, rt: &tokio::runtime::Runtime) -> anyhow::Result<cluster::NewIdentities> {
        match self.0 {
            Making::Unmade(unmade) => unmade.make(),
            Making::Parking { task, now } => {
                let _ = now.send(());
                rt.block_on(task)
                    .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))
            }
        }
    }
}

impl Unmade {
    fn make(self) -> anyhow::Result<cluster::NewIdentities> {
        match self {
            Unmade::Thread(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Unmade::Later(view) => make_identities((*view)?),
        }
    }
}

/// kube's configuration is async only for exec plugins, which a new identity never has: no
/// runtime or reactor is needed to make it.
fn make_identities(view: ClientView) -> anyhow::Result<cluster::NewIdentities> {
    Ok(futures::executor::block_on(
        cluster::NewIdentities::for_cluster(&view),
    )?)
}

/// What the server answered for each new user, not yet said: the warnings for those it could
/// not check wait for [`NewUserAnswers::say`], so that a check run beside other work (`add`
/// writes the kubeconfig meanwhile) speaks after that work has.
pub struct NewUserAnswers(Vec<Result<AccessReport, Failure>>);

impl NewUserAnswers {
    /// Warn once per reason a check failed; each user's report, `None` where it failed.
    pub fn say(self, ctx: &Ctx, users: &[NewUser<'_>]) -> Vec<Option<AccessReport>> {
        warn_failures(ctx, users, &self.0);
        self.0.into_iter().map(Result::ok).collect()
    }
}

/// [`check_new_users`] with the clients' shared set-up already made, and nothing printed. Only
/// `ctx.global` is read, so it may run while another thread writes through `ctx`.
pub fn ask_new_users(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    identities: anyhow::Result<cluster::NewIdentities>,
    users: &[NewUser<'_>],
    extra: &[String],
) -> NewUserAnswers {
    let namespace = ctx
        .global
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let checks = checks_with(extra);
    NewUserAnswers(rt.block_on(async {
        // Made once for every new user: the cluster's TLS trust and kube's layers.
        let identities = match identities {
            Ok(identities) => identities,
            Err(err) => {
                let failure = Failure::untried(&err);
                return users.iter().map(|_| Err(failure.clone())).collect();
            }
        };
        let (identities, namespace, checks) = (&identities, namespace.as_str(), checks.as_slice());
        let Some((first, rest)) = users.split_first() else {
            return Vec::new();
        };
        let first = check_one(identities, first, namespace, checks).await;
        if let Err(err) = &first
            && about_the_cluster(err)
        {
            let failure = Failure::untried(err);
            return users.iter().map(|_| Err(failure.clone())).collect();
        }
        let mut results = vec![first.map_err(|e| Failure::of(&e))];
        let others: Vec<_> = futures::stream::iter(rest)
            .map(|user| check_one(identities, user, namespace, checks))
            .buffered(CHECKS_AT_ONCE)
            .collect()
            .await;
        results.extend(others.into_iter().map(|r| r.map_err(|e| Failure::of(&e))));
        results
    }))
}

async fn check_one(
    identities: &cluster::NewIdentities,
    user: &NewUser<'_>,
    namespace: &str,
    checks: &[Check],
) -> anyhow::Result<AccessReport> {
    let client = identities.client(user.cert_pem, user.key)?;
    check(
        &client,
        user.name,
        user.namespace.unwrap_or(namespace),
        checks,
    )
    .await
}

/// The cluster as the kubeconfig module reads it (the one reader for cluster calls), read once
/// for every new user.
pub(crate) fn client_view(ctx: &Ctx, cluster_name: &str) -> anyhow::Result<ClientView> {
    client_view_in(ctx, &Kubeconfigs::load(&ctx.sources)?, cluster_name)
}

/// [`client_view`] from a kubeconfig already read (`add`: the parse its plan made, since
/// adding users changes no cluster).
pub(crate) fn client_view_in(
    ctx: &Ctx,
    kcs: &Kubeconfigs,
    cluster_name: &str,
) -> anyhow::Result<ClientView> {
    let selection = Selection {
        context: ctx.global.context.clone(),
        cluster: Some(cluster_name.to_string()),
    };
    Ok(kcs.client_view(&kcs.select(&selection)?)?)
}

/// A failure that any user of this cluster would meet: no connection, or no TLS with it.
fn about_the_cluster(err: &anyhow::Error) -> bool {
    matches!(
        err.downcast_ref::<ClusterError>(),
        Some(ClusterError::Unreachable { .. } | ClusterError::Tls { .. })
    )
}

/// Why a new user's access could not be checked.
#[derive(Clone, Debug, PartialEq)]
struct Failure {
    reason: String,
    /// No server saw the certificate (unreachable, TLS failed, no cluster entry): it was not tried.
    untried: bool,
}

impl Failure {
    fn of(err: &anyhow::Error) -> Failure {
        Failure {
            reason: with_hint(err),
            untried: about_the_cluster(err),
        }
    }

    fn untried(err: &anyhow::Error) -> Failure {
        Failure {
            reason: with_hint(err),
            untried: true,
        }
    }
}

/// A warning has no `hint:` line of its own: the fix goes after the reason.
fn with_hint(err: &anyhow::Error) -> String {
    match crate::error::hint_of(err) {
        Some(hint) => format!("{err:#}; {hint}"),
        None => format!("{err:#}"),
    }
}

/// One warning per distinct reason, naming the users it applies to.
fn warn_failures(ctx: &Ctx, users: &[NewUser<'_>], results: &[Result<AccessReport, Failure>]) {
    let mut reasons: Vec<(&Failure, Vec<&str>)> = Vec::new();
    for (user, result) in users.iter().zip(results) {
        if let Err(reason) = result {
            match reasons.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, names)) => names.push(user.name),
                None => reasons.push((reason, vec![user.name])),
            }
        }
    }
    for (failure, names) in reasons {
        let who = match names.as_slice() {
            [one] => one.to_string(),
            [first, second] => format!("{first} and {second}"),
            [first, rest @ ..] => format!("{first} and {} other new users", rest.len()),
            [] => continue,
        };
        let reason = &failure.reason;
        // Only a server that answered has seen a certificate: say which case this is.
        ctx.out.warn(match (failure.untried, names.len()) {
            (true, 1) => format!("{who}'s certificate was not tried: {reason}"),
            (true, _) => format!("the certificates of {who} were not tried: {reason}"),
            (false, _) => format!("could not check what {who} may do: {reason}"),
        });
    }
}
