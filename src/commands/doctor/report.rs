//! What `doctor` found: one finding per check, the `-o json|yaml` contract, and the table.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Verdict {
    Ok,
    Warn,
    Fail,
    Skip,
}

/// Field names are a stable contract (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Finding {
    /// Stable id: certificate, key, notExpired, validNow, usage, clientCa, server, identity, access.
    pub check: &'static str,
    pub verdict: Verdict,
    pub detail: String,
    pub fix: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Report {
    pub user: String,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub server: Option<String>,
    pub namespace: String,
    pub ok: bool,
    pub checks: Vec<Finding>,
}

impl Report {
    pub fn add(
        &mut self,
        check: &'static str,
        verdict: Verdict,
        detail: impl Into<String>,
        fix: Option<String>,
    ) {
        self.checks.push(Finding {
            check,
            verdict,
            detail: detail.into(),
            fix,
        });
    }
}

const LABELS: [(&str, &str); 9] = [
    ("certificate", "client certificate"),
    ("key", "key matches certificate"),
    ("notExpired", "not expired"),
    ("validNow", "already valid (clock)"),
    ("usage", "usages allow client auth"),
    ("clientCa", "signed by the client CA"),
    ("server", "server reachable and trusted"),
    ("identity", "who the server says you are"),
    ("access", "what you may do"),
];

pub(super) fn render(report: &Report) -> String {
    let mut text = format!(
        "doctor {} (context {}, cluster {}, namespace {})\n",
        report.user,
        report.context.as_deref().unwrap_or("-"),
        report.cluster.as_deref().unwrap_or("-"),
        report.namespace
    );
    let width = LABELS.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    for f in &report.checks {
        let label = LABELS
            .iter()
            .find(|(id, _)| *id == f.check)
            .map(|(_, l)| *l)
            .unwrap_or(f.check);
        let verdict = match f.verdict {
            Verdict::Ok => "ok",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        };
        text.push_str(&format!("{verdict:<5} {label:<width$}   {}\n", f.detail));
        if let Some(fix) = &f.fix
            && f.verdict != Verdict::Ok
        {
            text.push_str(&format!("{:<5} {:<width$}   fix: {fix}\n", "", ""));
        }
    }
    text
}
