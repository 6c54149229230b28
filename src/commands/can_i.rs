//! `can-i [USER] [VERB RESOURCE]`: SelfSubjectAccessReview as that user: one question, or the
//! default access matrix. Exit code 1 when something asked is denied, like `kubectl auth can-i`.

use crate::cli::CanIArgs;
use crate::cluster::Check;
use crate::error::{Outcome, hinted};
use crate::output::table;

use super::{Ctx, access, whoami};

pub fn run(ctx: &Ctx, args: &CanIArgs) -> anyhow::Result<Outcome> {
    let (user, checks) = parse(&args.args)?;
    let namespace = ctx
        .global
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let rt = super::runtime()?;
    let client = rt.block_on(whoami::client_as_user(ctx, user.as_deref()))?;
    let label = user.clone().unwrap_or_else(|| "the current user".into());
    let report = rt.block_on(access::check(&client, &label, &namespace, &checks))?;
    let all_allowed = report.checks.iter().all(|c| c.allowed);
    ctx.out.result(
        &report,
        || {
            report
                .checks
                .iter()
                .filter(|c| c.allowed)
                .map(|c| format!("{}:{}", c.check.verb, c.check.resource))
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

/// `USER VERB RESOURCE`, `VERB RESOURCE` (current user), `USER` or nothing (the matrix).
fn parse(args: &[String]) -> anyhow::Result<(Option<String>, Vec<Check>)> {
    let one = |verb: &str, resource: &str| -> anyhow::Result<Vec<Check>> {
        let check = format!("{verb}:{resource}").parse::<Check>().map_err(|e| {
            hinted(
                format!("invalid check {verb} {resource}: {e}"),
                "e.g. `can-i john list pods` or `can-i john create deployments.apps`",
            )
        })?;
        Ok(vec![check])
    };
    Ok(match args {
        [] => (None, crate::cluster::default_checks()),
        [user] => (Some(user.clone()), crate::cluster::default_checks()),
        [verb, resource] => (None, one(verb, resource)?),
        [user, verb, resource] => (Some(user.clone()), one(verb, resource)?),
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
        assert_eq!(parse(&s(&[])).unwrap().0, None);
        assert_eq!(parse(&s(&["john"])).unwrap().0.as_deref(), Some("john"));
        let (user, checks) = parse(&s(&["list", "pods"])).unwrap();
        assert_eq!((user, checks.len()), (None, 1));
        let (user, checks) = parse(&s(&["john", "create", "deployments.apps"])).unwrap();
        assert_eq!(user.as_deref(), Some("john"));
        assert_eq!(
            (checks[0].verb.as_str(), checks[0].group.as_str()),
            ("create", "apps")
        );
    }
}
