//! `can-i [USER] [VERB RESOURCE]`: SelfSubjectAccessReview as that user: one question, or the
//! default access matrix. Exit code 1 when something asked is denied, like `kubectl auth can-i`.

use crate::cli::CanIArgs;
use crate::cluster::{self, Check};
use crate::error::{Outcome, hinted};
use crate::output::table;
use crate::shell::quote;

use super::{Ctx, whoami};
use crate::workflow::access_check;

pub fn run(ctx: &Ctx, args: &CanIArgs) -> anyhow::Result<Outcome> {
    let Question {
        user,
        checks,
        reading,
    } = parse(&args.args)?;
    if let Some(reading) = reading {
        ctx.out.warn(reading);
    }
    let namespace = ctx
        .global
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    cluster::warm_up_tls();
    let rt = super::runtime()?;
    let client = rt.block_on(whoami::client_as_user(ctx, user.as_deref()))?;
    let label = user.clone().unwrap_or_else(|| "the current user".into());
    let report = rt.block_on(access_check::check(&client, &label, &namespace, &checks))?;
    let all_allowed = report.checks.iter().all(|c| c.allowed);
    ctx.out.result(
        &report,
        || {
            report
                .checks
                .iter()
                .filter(|c| c.allowed)
                .map(|c| format!("{}:{}", c.check.verb, c.check.resource_label()))
                .collect()
        },
        || {
            if checks.len() == 1 {
                return if all_allowed {
                    "yes\n".into()
                } else {
                    "no\n".into()
                };
            }
            let rows: Vec<Vec<String>> = report
                .checks
                .iter()
                .map(|c| {
                    vec![
                        c.check.verb.clone(),
                        c.check.resource_label(),
                        if c.allowed { "yes".into() } else { "no".into() },
                    ]
                })
                .collect();
            let mut text = table(&["VERB", "RESOURCE", "ALLOWED"], &rows);
            for line in &report.verdict.lines {
                text.push_str(line);
                text.push('\n');
            }
            text
        },
    )?;
    Ok(if all_allowed {
        Outcome::Ok
    } else {
        Outcome::Problem
    })
}

/// The verbs of Kubernetes' own APIs and of RBAC. Two words starting with one of these are a
/// question for the current user; any other first word might be a user's name.
const STANDARD_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "impersonate",
    "bind",
    "escalate",
    "approve",
    "sign",
    "use",
    "proxy",
    "*",
];

fn is_standard_verb(word: &str) -> bool {
    STANDARD_VERBS.contains(&word.to_lowercase().as_str())
}

/// What the arguments ask, and how two words were read when the reading is not the usual one.
#[derive(Debug)]
struct Question {
    user: Option<String>,
    checks: Vec<Check>,
    /// Said on stderr: two words read as an unusual verb and a resource.
    reading: Option<String>,
}

/// `USER VERB RESOURCE`, `VERB RESOURCE` (current user), `USER` or nothing (the matrix).
/// `USER VERB` (a resource forgotten) is refused rather than read as the verb USER.
fn parse(args: &[String]) -> anyhow::Result<Question> {
    let one = |verb: &str, resource: &str| -> anyhow::Result<Vec<Check>> {
        let check = format!("{verb}:{resource}").parse::<Check>().map_err(|e| {
            hinted(
                format!("invalid check {verb} {resource}: {e}"),
                "e.g. `can-i john list pods` or `can-i john create deployments.apps`",
            )
        })?;
        Ok(vec![check])
    };
    let question = |user: Option<&String>, checks| Question {
        user: user.cloned(),
        checks,
        reading: None,
    };
    Ok(match args {
        [] => question(None, crate::cluster::default_checks()),
        [user] => question(Some(user), crate::cluster::default_checks()),
        [verb, resource] if is_standard_verb(verb) => question(None, one(verb, resource)?),
        [user, verb] if is_standard_verb(verb) => {
            let user = quote(user);
            return Err(hinted(
                format!(
                    "`can-i {user} {verb}` names a user and a verb but no resource ({user} is no Kubernetes verb)"
                ),
                format!(
                    "ask `kubectl certuser can-i {user} {verb} RESOURCE` (e.g. pods), or `kubectl certuser can-i {user}` for the usual checks"
                ),
            ));
        }
        [verb, resource] => Question {
            reading: Some(format!(
                "reading `can-i {} {}` as the verb {verb:?} on {resource:?} for the current user, though {verb:?} is no standard Kubernetes verb; for a user's usual checks run `can-i {}`",
                quote(verb),
                quote(resource),
                quote(verb)
            )),
            ..question(None, one(verb, resource)?)
        },
        [user, verb, resource] => question(Some(user), one(verb, resource)?),
        _ => {
            return Err(hinted(
                "too many arguments",
                "kubectl certuser can-i [USER] [VERB RESOURCE]",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_shapes() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(parse(&s(&[])).unwrap().user, None);
        assert_eq!(parse(&s(&["john"])).unwrap().user.as_deref(), Some("john"));
        let q = parse(&s(&["list", "pods"])).unwrap();
        assert_eq!((q.user, q.checks.len(), q.reading), (None, 1, None));
        let Question { user, checks, .. } =
            parse(&s(&["john", "create", "deployments.apps"])).unwrap();
        assert_eq!(user.as_deref(), Some("john"));
        assert_eq!(
            (checks[0].verb.as_str(), checks[0].group.as_str()),
            ("create", "apps")
        );
    }
    #[test]
    fn two_words_are_read_one_way_or_refused() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let err = parse(&s(&["alice", "list"])).unwrap_err();
        assert!(err.to_string().contains("no resource"), "{err}");
        let q = parse(&s(&["escalate", "roles"])).unwrap();
        assert!(q.reading.is_none() && q.user.is_none());
        let q = parse(&s(&["alice", "pods"])).unwrap();
        assert_eq!(q.checks[0].verb, "alice");
        assert!(q.reading.unwrap().contains("`can-i alice`"));
    }
}
