//! `__complete`: kubectl's plugin completion protocol (kubectl 1.26+). On `kubectl certuser <TAB>`
//! kubectl runs `kubectl_complete-certuser ARGS... PARTIAL` from PATH; that is a link to this
//! binary (`main` turns it into `__complete`), and we answer as Cobra does: one candidate per
//! line, then `:<directive>` (4 = do not fall back to file names).

use crate::kubeconfig::{Kubeconfigs, Section, Sources};

/// Cobra's ShellCompDirectiveNoFileComp.
const NO_FILE_COMP: u8 = 4;
/// Cobra's ShellCompDirectiveDefault: let the shell complete file names.
const DEFAULT: u8 = 0;

/// The visible verbs, from the command line's own definition (one list, never out of date).
fn verbs() -> Vec<String> {
    use clap::CommandFactory;
    crate::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

pub fn run(args: &[String]) -> anyhow::Result<crate::error::Outcome> {
    let (candidates, directive) = candidates(args);
    for c in candidates {
        println!("{c}");
    }
    println!(":{directive}");
    Ok(crate::error::Outcome::Ok)
}

fn candidates(args: &[String]) -> (Vec<String>, u8) {
    let (done, partial) = match args.split_last() {
        Some((last, rest)) => (rest, last.as_str()),
        None => (&[][..], ""),
    };
    let kubeconfig = done
        .windows(2)
        .find(|w| w[0] == "--kubeconfig")
        .map(|w| std::path::PathBuf::from(&w[1]));
    let names = |section| {
        Kubeconfigs::load(&Sources::resolve(kubeconfig.as_deref()))
            .map(|k| k.names(section))
            .unwrap_or_default()
    };
    let keep = |all: Vec<String>| {
        all.into_iter()
            .filter(|c| c.starts_with(partial))
            .collect::<Vec<_>>()
    };
    match done.last().map(String::as_str) {
        Some("--context") => return (keep(names(Section::Contexts)), NO_FILE_COMP),
        Some("--cluster") => return (keep(names(Section::Clusters)), NO_FILE_COMP),
        Some("--kubeconfig" | "--ca-cert" | "--ca-key" | "--cert-dir" | "--file") => {
            return (Vec::new(), DEFAULT);
        }
        _ => {}
    }
    let verbs = verbs();
    let verb = done.iter().find(|a| verbs.contains(a)).map(String::as_str);
    match verb {
        None => (keep(verbs.clone()), NO_FILE_COMP),
        Some("inspect") => (keep(names(Section::Users)), DEFAULT),
        Some("remove" | "export" | "whoami" | "can-i" | "renew" | "doctor") => {
            (keep(names(Section::Users)), NO_FILE_COMP)
        }
        Some("completion") => (
            keep(
                ["bash", "zsh", "fish", "powershell"]
                    .map(String::from)
                    .to_vec(),
            ),
            NO_FILE_COMP,
        ),
        Some(_) => (Vec::new(), NO_FILE_COMP),
    }
}
