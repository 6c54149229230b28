//! `__complete`: kubectl's plugin completion protocol (kubectl 1.26+). On `kubectl certuser <TAB>`
//! kubectl runs `kubectl_complete-certuser ARGS... PARTIAL` from PATH; that is a link to this
//! binary (`main` turns it into `__complete`), and we answer as Cobra does: one candidate per
//! line, then `:<directive>`.
//!
//! Verbs, flags and flag values come from the clap definition in `cli.rs`, so a new verb or flag
//! completes without being listed twice; only names from the kubeconfig are looked up here.

use clap::{Arg, CommandFactory, ValueHint};

use crate::cli::Cli;
use crate::kubeconfig::{Kubeconfigs, Section, Sources};

/// Cobra's ShellCompDirectiveNoFileComp.
const NO_FILE_COMP: u8 = 4;
/// Cobra's ShellCompDirectiveDefault: let the shell complete file names.
const DEFAULT: u8 = 0;

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
    let mut root = Cli::command();
    root.build(); // propagates the global flags into every verb
    let verb = done
        .iter()
        .find_map(|a| root.find_subcommand(a).filter(|c| !c.is_hide_set()));
    let command = verb.unwrap_or(&root);
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

    // The value of the flag just typed.
    if let Some(arg) = done
        .last()
        .and_then(|a| option(command, a))
        .filter(|a| takes_value(a))
    {
        return match arg.get_long() {
            Some("context") => (keep(names(Section::Contexts)), NO_FILE_COMP),
            Some("cluster") => (keep(names(Section::Clusters)), NO_FILE_COMP),
            _ => value_candidates(arg, keep),
        };
    }
    if partial.starts_with('-') {
        let flags = command
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        return (keep(flags), NO_FILE_COMP);
    }
    let Some(verb) = verb else {
        let verbs = root
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(|c| c.get_name().to_string())
            .collect();
        return (keep(verbs), NO_FILE_COMP);
    };
    // A positional argument: its value name says what it is (USER, USER|FILE, SHELL...).
    match verb.get_positionals().next() {
        Some(arg) if value_name(arg).contains("USER") => {
            let files = value_name(arg).contains("FILE");
            (
                keep(names(Section::Users)),
                if files { DEFAULT } else { NO_FILE_COMP },
            )
        }
        Some(arg) => value_candidates(arg, keep),
        None => (Vec::new(), NO_FILE_COMP),
    }
}

/// The option `--long` or `-s` names, global ones included (clap propagates them).
fn option<'a>(command: &'a clap::Command, typed: &str) -> Option<&'a Arg> {
    let long = typed.strip_prefix("--");
    let short = typed
        .strip_prefix('-')
        .filter(|s| s.chars().count() == 1)
        .and_then(|s| s.chars().next());
    command.get_arguments().find(|a| match (long, short) {
        (Some(l), _) => a.get_long() == Some(l),
        (None, Some(s)) => a.get_short() == Some(s),
        _ => false,
    })
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.takes_values())
}

fn value_name(arg: &Arg) -> String {
    arg.get_value_names()
        .map(|names| {
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// A flag's or positional's own choices (`--key-type`, `-o`, the shells), or file names where
/// it takes a path.
fn value_candidates(arg: &Arg, keep: impl Fn(Vec<String>) -> Vec<String>) -> (Vec<String>, u8) {
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !choices.is_empty() {
        return (keep(choices), NO_FILE_COMP);
    }
    match arg.get_value_hint() {
        ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath => (Vec::new(), DEFAULT),
        _ => (Vec::new(), NO_FILE_COMP),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(line: &[&str]) -> (Vec<String>, u8) {
        candidates(&line.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn verbs_flags_and_values_come_from_the_command_line_definition() {
        let (verbs, directive) = complete(&[""]);
        for verb in Cli::command()
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
        {
            assert!(verbs.contains(&verb.get_name().to_string()), "{verbs:?}");
        }
        assert!(!verbs.contains(&"__complete".to_string()));
        assert_eq!(directive, NO_FILE_COMP);

        let (flags, _) = complete(&["add", "--key"]);
        assert_eq!(flags, ["--key-type"]);
        let (flags, _) = complete(&["add", "--"]);
        assert!(
            flags.contains(&"--ca-cert".to_string()) && flags.contains(&"--kubeconfig".to_string())
        );

        let (types, directive) = complete(&["add", "john", "--key-type", "ecdsa"]);
        assert_eq!(types, ["ecdsa-p256", "ecdsa-p384"]);
        assert_eq!(directive, NO_FILE_COMP);
        let (formats, _) = complete(&["list", "-o", "j"]);
        assert_eq!(formats, ["json"]);
        let (formats, _) = complete(&["list", "--output", "y"]);
        assert_eq!(formats, ["yaml"]);
        let (shells, _) = complete(&["completion", "f"]);
        assert_eq!(shells, ["fish"]);
        let (files, directive) = complete(&["add", "john", "--ca-cert", ""]);
        assert!(files.is_empty());
        assert_eq!(directive, DEFAULT);
    }
}
