//! `check-expiration`'s tables, as kubeadm's `certs check-expiration` draws them.

use crate::output::human_duration as human;
use crate::output::table;

use super::Report;

fn date(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| t.strftime("%b %d, %Y %H:%M UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

fn residual(seconds: Option<i64>, error: Option<&String>) -> String {
    match (error, seconds) {
        (Some(_), _) => "unreadable".into(),
        (None, Some(s)) => human(s),
        (None, None) => "-".into(),
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

pub(super) fn render(report: &Report) -> String {
    let mut text = String::new();
    // Unreadable rows, explained under the tables.
    let mut problems = Vec::new();
    if !report.users.is_empty() || report.pki_dir.is_none() {
        text.push_str(&users_table(report, &mut problems));
    }
    if report.pki_dir.is_some() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&certificates_table(report, &mut problems));
        text.push('\n');
        text.push_str(&authorities_table(report));
    }
    if !problems.is_empty() {
        text.push('\n');
        for p in problems {
            text.push_str(&p);
            text.push('\n');
        }
    }
    text
}

fn users_table(report: &Report, problems: &mut Vec<String>) -> String {
    let rows: Vec<Vec<String>> = report
        .users
        .iter()
        .map(|u| {
            let u = &u.user;
            if let Some(e) = &u.error {
                problems.push(format!("user {}: {e}", u.name));
            }
            vec![
                u.name.clone(),
                date(u.not_after),
                residual(u.residual_seconds, u.error.as_ref()),
                u.issuer.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(&["USER", "EXPIRES", "RESIDUAL TIME", "ISSUER"], &rows)
}

fn certificates_table(report: &Report, problems: &mut Vec<String>) -> String {
    let rows: Vec<Vec<String>> = report
        .certificates
        .iter()
        .map(|c| {
            if let Some(e) = &c.error {
                problems.push(format!("{}: {e}", c.name));
            }
            vec![
                c.name.clone(),
                date(c.not_after),
                residual(c.residual_seconds, c.error.as_ref()),
                c.certificate_authority
                    .clone()
                    .unwrap_or_else(|| "-".into()),
                yes_no(c.externally_managed),
            ]
        })
        .collect();
    table(
        &[
            "CERTIFICATE",
            "EXPIRES",
            "RESIDUAL TIME",
            "CERTIFICATE AUTHORITY",
            "EXTERNALLY MANAGED",
        ],
        &rows,
    )
}

fn authorities_table(report: &Report) -> String {
    let rows: Vec<Vec<String>> = report
        .certificate_authorities
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                date(c.not_after),
                residual(c.residual_seconds, None),
                yes_no(c.externally_managed),
            ]
        })
        .collect();
    table(
        &[
            "CERTIFICATE AUTHORITY",
            "EXPIRES",
            "RESIDUAL TIME",
            "EXTERNALLY MANAGED",
        ],
        &rows,
    )
}
