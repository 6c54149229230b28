//! Every verb's flags, as `--help` shows them and the parser enforces them, against a golden
//! file: a refactoring of `src/cli/` (grouping flags, moving structs) must not change a flag's
//! name, short form, value name, default, help text, requirements or conflicts. The help
//! headings and the order are left out on purpose: those are what a regrouping changes.
//! A deliberate change of the surface: `UPDATE_GOLDEN=1 cargo test --test cli flag_surface`.

use std::fmt::Write as _;

use clap::CommandFactory as _;
use kubectl_certuser::cli::Cli;

#[test]
fn every_verbs_flags_are_as_the_golden_file_lists_them() {
    let mut cli = Cli::command();
    cli.build();
    let mut got = String::new();
    describe(&mut got, "kubectl certuser", &cli, true);
    for verb in cli.get_subcommands() {
        describe(&mut got, verb.get_name(), verb, false);
    }
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli/flags.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read_to_string(&golden).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    if got != want {
        let diff: Vec<String> = diff_lines(&want, &got);
        panic!(
            "the flags differ from {} (UPDATE_GOLDEN=1 regenerates after a deliberate change):\n{}",
            golden.display(),
            diff.join("\n")
        );
    }
}

/// One paragraph per verb, one line per flag, sorted: global flags only under the top command
/// (they are the same on every verb).
fn describe(out: &mut String, name: &str, cmd: &clap::Command, top: bool) {
    let mut lines: Vec<String> = cmd
        .get_arguments()
        .filter(|arg| top || !arg.is_global_set())
        .filter(|arg| !matches!(arg.get_id().as_str(), "help" | "version"))
        .map(|arg| describe_arg(cmd, arg))
        .collect();
    lines.sort();
    writeln!(out, "[{name}]").unwrap();
    for line in lines {
        writeln!(out, "  {line}").unwrap();
    }
}

fn describe_arg(cmd: &clap::Command, arg: &clap::Arg) -> String {
    let mut line = match (arg.get_long(), arg.get_short()) {
        (Some(long), Some(short)) => format!("--{long} -{short}"),
        (Some(long), None) => format!("--{long}"),
        (None, _) => format!("<{}> (position {:?})", arg.get_id(), arg.get_index()),
    };
    let mut field = |key: &str, value: String| {
        if !value.is_empty() && value != "[]" {
            write!(line, " {key}={value}").unwrap();
        }
    };
    field("id", arg.get_id().to_string());
    field(
        "value",
        arg.get_value_names()
            .map(|names| {
                names
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
    );
    field("action", format!("{:?}", arg.get_action()));
    field("args", format!("{:?}", arg.get_num_args()));
    field(
        "default",
        format!("{:?}", arg.get_default_values().iter().collect::<Vec<_>>()),
    );
    field(
        "choices",
        format!(
            "{:?}",
            arg.get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect::<Vec<_>>()
        ),
    );
    field("env", format!("{:?}", arg.get_env().unwrap_or_default()));
    field(
        "required",
        if arg.is_required_set() {
            "yes".into()
        } else {
            String::new()
        },
    );
    field(
        "hidden",
        if arg.is_hide_set() {
            "yes".into()
        } else {
            String::new()
        },
    );
    let mut conflicts: Vec<String> = cmd
        .get_arg_conflicts_with(arg)
        .iter()
        .map(|a| a.get_id().to_string())
        .collect();
    conflicts.sort();
    field("conflicts", format!("{conflicts:?}"));
    // clap has no getter for these two; its Debug output names them (a clap upgrade that
    // changes that fails here loudly rather than silently).
    let debug = format!("{arg:?}");
    field("requires", debug_field(&debug, "requires"));
    field("required_unless", debug_field(&debug, "r_unless"));
    field(
        "help",
        format!(
            "{:?}",
            arg.get_help().map(|h| h.to_string()).unwrap_or_default()
        ),
    );
    if let Some(long) = arg.get_long_help() {
        field("long_help", format!("{:?}", long.to_string()));
    }
    line
}

/// The bracketed value of `key: [...]` in a Debug dump.
fn debug_field(debug: &str, key: &str) -> String {
    let start = debug
        .find(&format!("{key}: ["))
        .unwrap_or_else(|| panic!("clap's Debug of Arg no longer names {key}: {debug}"));
    let rest = &debug[start + key.len() + 2..];
    let end = rest.find(']').expect("a closing bracket");
    rest[..=end].to_string()
}

/// The lines only in `want` (-) and only in `got` (+), each named by its verb: enough to see
/// which flag of which verb changed.
fn diff_lines(want: &str, got: &str) -> Vec<String> {
    let (want, got) = (with_verbs(want), with_verbs(got));
    let mut diff: Vec<String> = want
        .iter()
        .filter(|l| !got.contains(l))
        .map(|l| format!("- {l}"))
        .collect();
    diff.extend(
        got.iter()
            .filter(|l| !want.contains(l))
            .map(|l| format!("+ {l}")),
    );
    diff
}

/// Each flag line prefixed with the `[verb]` paragraph it is in.
fn with_verbs(text: &str) -> Vec<String> {
    let mut verb = "";
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.starts_with('[') {
            verb = line;
        } else {
            lines.push(format!("{verb} {}", line.trim_start()));
        }
    }
    lines
}
