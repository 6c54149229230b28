//! `apply -f team.yaml`: make the kubeconfig and the cluster match a team file. Missing users
//! are created, users whose groups changed re-issued, users due renewed, contexts and the
//! bindings this tool makes kept as the file says, and with `--prune` the users (and their
//! bindings) the file no longer lists removed.
//!
//! The order is `add`'s: the file, the kubeconfig, the CA and the cluster's bindings are all read
//! and checked, and the whole plan made, before a key is generated; the kubeconfig is written
//! once, under its lock, when every certificate is in hand.

mod carry_out;
mod current;
mod file;
pub(crate) mod marker;
mod plan;
mod progress;
mod report;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::cli::ApplyArgs;
use crate::cluster::{self, ApiClient, ListedBinding};
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{self, Kubeconfigs, Section};
use crate::pki;

use super::Ctx;
use super::add::signer::{self, Signer};
use crate::pki::names::GroupPolicy;
use crate::workflow::access_check::{self, NewUser};
use crate::workflow::{ledger_hooks, target};
use carry_out::Issued;
use file::Wanted;
use plan::{Existing, Issue, Plan, UserPlan};
use report::Done;

pub fn run(ctx: &Ctx, args: &ApplyArgs) -> anyhow::Result<Outcome> {
    let policy = GroupPolicy {
        allow_system_masters: args.allow_system_masters,
        allow_privileged: args.allow_privileged_group,
    };
    let local_ca = signer::local_ca_paths(&args.ca);
    // Everything is read and every refusal made before anything changes.
    let team = read_team(ctx, args, policy, local_ca.is_some())?;
    let kcs = read_kubeconfigs(ctx, args)?;
    let rt = super::runtime()?;
    let found = read_what_is_there(ctx, args, &rt, &kcs, &team, policy, local_ca.is_none())?;
    let plan = make_plan(args, &team, &found)?;
    refuse_taken_contexts(&plan, &kcs, &found.cluster, &team.source)?;
    let to_issue: Vec<&UserPlan> = plan.users.iter().filter(|u| u.issue.is_some()).collect();
    let signer = choose_signer(ctx, args, &rt, local_ca, &found, !to_issue.is_empty())?;
    if args.dry_run || plan.unchanged() {
        report(ctx, &plan, &team, &found, None, args.dry_run)?;
        return Ok(Outcome::Ok);
    }

    // A real run: the ledger and the rights to change bindings are the last checks; then keys
    // are made and signed, the kubeconfig written, bindings changed, files exported.
    let ledger = ledger_hooks::open(ctx)?;
    if let Some(client) = found.binder() {
        carry_out::check_binding_rights(&rt, client, &plan)?;
    }
    let issued = match &signer {
        Some(signer) => carry_out::issue(ctx, &rt, signer, &to_issue)?,
        None => Vec::new(),
    };
    let files = carry_out::write_kubeconfig(kcs, &found.cluster, &team.list, &plan, &issued)?;
    let mut done: Vec<Done> = plan.users.iter().map(|_| Done::default()).collect();
    let label = signer.as_ref().map_or("", Signer::label);
    let records = progress::written(
        ctx,
        &plan,
        &found.cluster,
        label,
        &issued,
        &files,
        &mut done,
    );
    progress::unsigned_changes(ctx, &plan, &team.list);
    ledger_hooks::save(ctx, ledger.as_ref(), records);

    if let Some(client) = found.binder() {
        carry_out::change_bindings(ctx, &rt, client, &plan)?;
    }
    if let Some(dir) = &args.export_dir
        && !issued.is_empty()
    {
        let records = progress::exported(ctx, dir, &found.cluster, &plan, &issued, &mut done)?;
        ledger_hooks::save(ctx, ledger.as_ref(), records);
    }
    if !args.no_check && !issued.is_empty() {
        check_access(ctx, &rt, &found.cluster, &plan, &issued, &mut done);
    }
    progress::warn_pruned(ctx, &plan);
    report(ctx, &plan, &team, &found, Some(&done), false)?;
    Ok(Outcome::Ok)
}

/// The team file, parsed and checked.
struct Team {
    list: String,
    wanted: Vec<Wanted>,
    /// The name messages give the file (`stdin` for `-`).
    source: String,
}

/// What the kubeconfig and the cluster hold before the plan.
struct Found {
    cluster: String,
    now: jiff::Timestamp,
    existing: Vec<Existing>,
    /// The administrator's client, when the cluster is asked anything.
    admin: Option<ApiClient>,
    /// Whether bindings are made or pruned: then `bindings` holds the cluster's.
    wants_bindings: bool,
    bindings: Option<Vec<ListedBinding>>,
}

impl Found {
    /// The client that changes bindings, when any binding is to be changed.
    fn binder(&self) -> Option<&ApiClient> {
        self.admin.as_ref().filter(|_| self.wants_bindings)
    }
}

/// Read the team file, check the export folder and, for a local CA, every lifetime.
fn read_team(
    ctx: &Ctx,
    args: &ApplyArgs,
    policy: GroupPolicy,
    local_ca: bool,
) -> anyhow::Result<Team> {
    let (text, source) = read_team_file(&args.file)?;
    let team = file::parse(&text, &source, policy, &mut |w| ctx.out.warn(w))?;
    if let Some(dir) = &args.export_dir {
        carry_out::check_export_dir(dir)?;
    }
    if local_ca {
        for user in &team.users {
            pki::check_lifetime(user.lifetime, false).map_err(|e| {
                hinted(
                    format!("{source}:{}: {e}", user.line),
                    "give a duration of 10 minutes or more",
                )
            })?;
        }
    }
    Ok(Team {
        list: team.list,
        wanted: team.users,
        source,
    })
}

/// A real run reads under the lock, so it never sees a file kubectl is rewriting.
fn read_kubeconfigs(ctx: &Ctx, args: &ApplyArgs) -> anyhow::Result<Kubeconfigs> {
    Ok(if args.dry_run {
        Kubeconfigs::load(&ctx.sources)?
    } else {
        Kubeconfigs::load_locked(&ctx.sources)?
    })
}

/// The kubeconfig's users and, where needed, the cluster's bindings and namespaces.
/// `csr_api`: certificates are signed through the cluster, so it is asked in any case.
fn read_what_is_there(
    ctx: &Ctx,
    args: &ApplyArgs,
    rt: &tokio::runtime::Runtime,
    kcs: &Kubeconfigs,
    team: &Team,
    policy: GroupPolicy,
    csr_api: bool,
) -> anyhow::Result<Found> {
    let selected = target::select(ctx, kcs)?;
    let now = jiff::Timestamp::now();
    let existing = current::existing(
        kcs,
        &selected.cluster,
        selected.user.as_deref(),
        policy,
        now,
    );
    // The cluster is asked for its bindings only when the file binds someone or --prune may
    // delete some, so a local CA works without a cluster for a file without roles.
    let wants_bindings = args.prune || team.wanted.iter().any(|w| w.role.is_some());
    let admin = if wants_bindings || csr_api {
        Some(rt.block_on(signer::admin_client(ctx))?)
    } else {
        None
    };
    let bindings = match (&admin, wants_bindings) {
        (Some(client), true) => Some(rt.block_on(cluster::list_bindings(client))?),
        _ => None,
    };
    if let Some(client) = &admin {
        check_namespaces(rt, client, &team.wanted, &team.source)?;
    }
    Ok(Found {
        cluster: selected.cluster,
        now,
        existing,
        admin,
        wants_bindings,
        bindings,
    })
}

fn make_plan(args: &ApplyArgs, team: &Team, found: &Found) -> anyhow::Result<Plan> {
    plan::plan(
        &team.wanted,
        &plan::Inputs {
            cluster: &found.cluster,
            list: &team.list,
            existing: &found.existing,
            bindings: found.bindings.as_deref(),
            renew_within: args.renew_within.map(|v| v.0),
            prune: args.prune,
            now: found.now,
        },
    )
}

/// A new user's context must not exist either (a context left behind is someone's entry).
fn refuse_taken_contexts(
    plan: &Plan,
    kcs: &Kubeconfigs,
    cluster: &str,
    source: &str,
) -> anyhow::Result<()> {
    for user in plan.users.iter().filter(|u| u.issue == Some(Issue::Create)) {
        let context = kubeconfig::user_context(&user.name, cluster);
        if let Some(entry) = kcs.get(Section::Contexts, &context) {
            return Err(hinted(
                format!(
                    "{source}:{}: context {context:?} already exists in {} for another user: nothing was changed",
                    user.wanted.line,
                    entry.file.display()
                ),
                format!(
                    "delete it first (`kubectl config delete-context {context}`), or rename the user in the file"
                ),
            ));
        }
    }
    Ok(())
}

/// The signer only when something is signed: an unchanged file needs no CA and no CSR API.
fn choose_signer<'rt>(
    ctx: &Ctx,
    args: &ApplyArgs,
    rt: &'rt tokio::runtime::Runtime,
    local_ca: Option<(PathBuf, PathBuf)>,
    found: &Found,
    signs: bool,
) -> anyhow::Result<Option<Signer<'rt>>> {
    if !signs {
        return Ok(None);
    }
    Ok(Some(match local_ca {
        Some((cert, key)) => Signer::Local(signer::load_ca(&cert, &key)?),
        None => Signer::through_api(
            ctx,
            found.admin.clone().expect("made for the CSR API above"),
            &args.csr,
            rt,
        ),
    }))
}

/// What the new users may do, as each of them, into their part of the report.
fn check_access(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    cluster: &str,
    plan: &Plan,
    issued: &[Issued<'_>],
    done: &mut [Done],
) {
    let users: Vec<NewUser<'_>> = issued
        .iter()
        .map(|one| NewUser {
            name: &one.plan.name,
            cert_pem: &one.signed.certificate_pem,
            key: one.private.pkey(),
            namespace: Some(one.plan.wanted.namespace.as_deref().unwrap_or("default")),
        })
        .collect();
    let reports = access_check::check_new_users(ctx, rt, cluster, &users, &[]);
    for (one, access) in issued.iter().zip(reports) {
        done[index_of(plan, &one.plan.name)].access = access;
    }
}

/// The result: the plan for a dry run or an unchanged file, what was done otherwise.
fn report(
    ctx: &Ctx,
    plan: &Plan,
    team: &Team,
    found: &Found,
    done: Option<&[Done]>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let data = report::data(
        plan,
        done.unwrap_or(&[]),
        dry_run,
        &found.cluster,
        &team.list,
    );
    ctx.out.result(
        &data,
        || {
            plan.users
                .iter()
                .map(|u| format!("user/{}", u.name))
                .collect()
        },
        || report::lines(plan, found.now, done),
    )?;
    Ok(())
}

/// Every namespace a user is bound in must exist: the API server refuses a RoleBinding in a
/// missing one, and that would come after the kubeconfig is written.
fn check_namespaces(
    rt: &tokio::runtime::Runtime,
    client: &cluster::ApiClient,
    wanted: &[Wanted],
    source: &str,
) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for user in wanted.iter().filter(|w| w.role.is_some()) {
        let ns = user.namespace.as_deref().unwrap_or("default");
        // Someone who may bind but not read namespaces still gets the API server's own answer.
        if seen.insert(ns)
            && matches!(
                rt.block_on(cluster::namespace_exists(client, ns)),
                Ok(false)
            )
        {
            return Err(hinted(
                format!(
                    "{source}:{}: namespace {ns:?} of user {:?} does not exist on the cluster: nothing was changed",
                    user.line, user.name
                ),
                format!("create it first (`kubectl create namespace {ns}`), or fix the file"),
            ));
        }
    }
    Ok(())
}

fn index_of(plan: &Plan, name: &str) -> usize {
    plan.users
        .iter()
        .position(|u| u.name == name)
        .expect("issued users come from the plan")
}

/// The file's text and the name messages give it (`-` is standard input).
fn read_team_file(path: &Path) -> anyhow::Result<(String, String)> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            hinted(
                format!("cannot read the team file from standard input: {e}"),
                "pipe a UTF-8 YAML file into `apply -f -`",
            )
        })?;
        return Ok((text, "stdin".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        hinted(
            format!("cannot read the team file {}: {e}", path.display()),
            "pass -f FILE with a UserList (see `kubectl certuser apply --help`), or -f - for standard input",
        )
    })?;
    Ok((text, path.display().to_string()))
}
