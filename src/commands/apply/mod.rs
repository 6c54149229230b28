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
mod marker;
mod plan;
mod report;

use std::io::Read as _;
use std::path::Path;

use crate::cli::ApplyArgs;
use crate::cluster;
use crate::error::{Outcome, hinted};
use crate::kubeconfig::{self, Kubeconfigs, Section};
use crate::pki;

use super::Ctx;
use super::add::signer::{self, Signer};
use crate::pki::names::GroupPolicy;
use crate::workflow::access_check::{self, NewUser};
use crate::workflow::{ledger_hooks, target};
use report::Done;

pub fn run(ctx: &Ctx, args: &ApplyArgs) -> anyhow::Result<Outcome> {
    let policy = GroupPolicy {
        allow_system_masters: args.allow_system_masters,
        allow_privileged: args.allow_privileged_group,
    };
    let (text, source) = read_team_file(&args.file)?;
    let team = file::parse(&text, &source, policy, &mut |w| ctx.out.warn(w))?;
    let wanted = team.users;
    if let Some(dir) = &args.export_dir {
        carry_out::check_export_dir(dir)?;
    }
    let local_ca = signer::local_ca_paths(&args.ca);
    if local_ca.is_some() {
        for user in &wanted {
            pki::check_lifetime(user.lifetime, false).map_err(|e| {
                hinted(
                    format!("{source}:{}: {e}", user.line),
                    "give a duration of 10 minutes or more",
                )
            })?;
        }
    }

    // A real run reads under the lock, so it never sees a file kubectl is rewriting.
    let kcs = if args.dry_run {
        Kubeconfigs::load(&ctx.sources)?
    } else {
        Kubeconfigs::load_locked(&ctx.sources)?
    };
    let selected = target::select(ctx, &kcs)?;
    let cluster = selected.cluster.clone();
    let now = jiff::Timestamp::now();
    let existing = current::existing(&kcs, &cluster, selected.user.as_deref(), policy, now);

    let rt = super::runtime()?;
    // The cluster is asked for its bindings only when the file binds someone or --prune may
    // delete some, so a local CA works without a cluster for a file without roles.
    let wants_bindings = args.prune || wanted.iter().any(|w| w.role.is_some());
    let admin = if wants_bindings || local_ca.is_none() {
        Some(rt.block_on(signer::admin_client(ctx))?)
    } else {
        None
    };
    let bindings = match (&admin, wants_bindings) {
        (Some(client), true) => Some(rt.block_on(cluster::list_bindings(client))?),
        _ => None,
    };
    if let Some(client) = &admin {
        check_namespaces(&rt, client, &wanted, &source)?;
    }
    let plan = plan::plan(
        &wanted,
        &plan::Inputs {
            cluster: &cluster,
            list: &team.list,
            existing: &existing,
            bindings: bindings.as_deref(),
            renew_within: args.renew_within.map(|v| v.0),
            prune: args.prune,
            now,
        },
    )?;
    // A new user's context must not exist either (a context left behind is someone's entry).
    for user in plan
        .users
        .iter()
        .filter(|u| u.issue == Some(plan::Issue::Create))
    {
        let context = kubeconfig::user_context(&user.name, &cluster);
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
    let to_issue: Vec<&plan::UserPlan> = plan.users.iter().filter(|u| u.issue.is_some()).collect();
    // The signer only when something is signed: an unchanged file needs no CA and no CSR API.
    let signer = match (&local_ca, to_issue.is_empty()) {
        (_, true) => None,
        (Some((cert, key)), false) => Some(Signer::Local(signer::load_ca(cert, key)?)),
        (None, false) => Some(Signer::through_api(
            ctx,
            admin.clone().expect("made for the CSR API above"),
            &args.csr,
            &rt,
        )),
    };

    if args.dry_run || plan.unchanged() {
        ctx.out.result(
            &report::data(&plan, &[], args.dry_run, &cluster, &team.list),
            || {
                plan.users
                    .iter()
                    .map(|u| format!("user/{}", u.name))
                    .collect()
            },
            || report::lines(&plan, now, None),
        )?;
        return Ok(Outcome::Ok);
    }

    let ledger = ledger_hooks::open(ctx)?;
    if let Some(client) = &admin
        && wants_bindings
    {
        carry_out::check_binding_rights(&rt, client, &plan)?;
    }
    let issued = match &signer {
        Some(signer) => carry_out::issue(ctx, &rt, signer, &to_issue)?,
        None => Vec::new(),
    };
    let files = carry_out::write_kubeconfig(kcs, &cluster, &team.list, &plan, &issued)?;
    let mut done: Vec<Done> = plan.users.iter().map(|_| Done::default()).collect();
    let mut records = Vec::new();
    for (one, file) in issued.iter().zip(&files) {
        let i = index_of(&plan, &one.plan.name);
        let label = signer.as_ref().map_or("", Signer::label);
        records.push(
            ledger_hooks::issued(
                "apply",
                &one.info,
                Some(cluster.clone()),
                label,
                one.signed.csr_name.clone(),
            )
            .to(ledger_hooks::in_kubeconfig(file, &one.plan.name)),
        );
        done[i].certificate = Some(one.info.clone());
        done[i].signed_by = Some(label);
        done[i].csr_name = one.signed.csr_name.clone();
        done[i].kubeconfig = Some(file.clone());
        let what = match one.plan.issue {
            Some(plan::Issue::Create) => "created",
            Some(plan::Issue::Reissue { .. }) => "re-issued",
            _ => "renewed",
        };
        ctx.out.done(format!(
            "{}: {what}, certificate from {} valid until {}, context {}",
            one.plan.name,
            one.info.issuer,
            one.info.not_after.strftime("%Y-%m-%d %H:%M UTC"),
            kubeconfig::user_context(&one.plan.name, &cluster),
        ));
    }
    for user in plan.users.iter().filter(|u| u.issue.is_none()) {
        if let Some(change) = &user.context {
            ctx.out.done(format!(
                "context {}: namespace {}",
                change.name,
                change.namespace.as_deref().unwrap_or("(none)")
            ));
        }
    }
    for user in plan.users.iter().filter(|u| u.adopt && u.issue.is_none()) {
        ctx.out.done(format!(
            "{}: adopted, marked as managed by the team list {:?}",
            user.name, team.list
        ));
    }
    for pruned in &plan.prune {
        ctx.out
            .done(format!("removed user {} and its contexts", pruned.name));
    }
    ledger_hooks::save(ctx, ledger.as_ref(), std::mem::take(&mut records));

    if let Some(client) = &admin
        && wants_bindings
    {
        carry_out::change_bindings(ctx, &rt, client, &plan)?;
    }
    if let Some(dir) = &args.export_dir
        && !issued.is_empty()
    {
        for (one, (path, cert)) in issued
            .iter()
            .zip(carry_out::export_all(ctx, dir, &cluster, &issued)?)
        {
            records.extend(ledger_hooks::exported(&cert, &cluster, &path));
            ctx.out.done(format!(
                "wrote {} (mode 0600) for {}",
                path.display(),
                one.plan.name
            ));
            done[index_of(&plan, &one.plan.name)].export_file = Some(path);
        }
        ledger_hooks::save(ctx, ledger.as_ref(), records);
    }
    if !args.no_check && !issued.is_empty() {
        let users: Vec<NewUser<'_>> = issued
            .iter()
            .map(|one| NewUser {
                name: &one.plan.name,
                cert_pem: &one.signed.certificate_pem,
                key_pem: one.key.as_bytes(),
                namespace: Some(one.plan.wanted.namespace.as_deref().unwrap_or("default")),
            })
            .collect();
        let reports = access_check::check_new_users(ctx, &rt, &cluster, &users, &[]);
        for (one, access) in issued.iter().zip(reports) {
            done[index_of(&plan, &one.plan.name)].access = access;
        }
    }
    for user in &plan.prune {
        ctx.out.warn(format!(
            "{}'s certificate stays valid wherever a copy exists: certificates cannot be revoked (its bindings made by this tool are deleted)",
            user.name
        ));
    }
    ctx.out.result(
        &report::data(&plan, &done, false, &cluster, &team.list),
        || {
            plan.users
                .iter()
                .map(|u| format!("user/{}", u.name))
                .collect()
        },
        || report::lines(&plan, now, Some(&done)),
    )?;
    Ok(Outcome::Ok)
}

/// Every namespace a user is bound in must exist: the API server refuses a RoleBinding in a
/// missing one, and that would come after the kubeconfig is written.
fn check_namespaces(
    rt: &tokio::runtime::Runtime,
    client: &cluster::ApiClient,
    wanted: &[file::Wanted],
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

fn index_of(plan: &plan::Plan, name: &str) -> usize {
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
