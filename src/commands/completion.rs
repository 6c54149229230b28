//! `completion SHELL` and `man`: completion scripts and the manual page, generated from the
//! CLI definition so they never drift from it.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionArgs};
use crate::error::Outcome;

pub fn run(args: &CompletionArgs) -> anyhow::Result<Outcome> {
    let mut command = Cli::command();
    // clap_complete panics when its writer fails (`completion fish | head -1` closes the pipe):
    // generate into memory, then write it ourselves so a broken pipe is an ordinary error,
    // which `main` treats as a quiet success.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kubectl-certuser", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(Outcome::Ok)
}

/// `man`: one manual page with every verb and its flags, for packagers
/// (`kubectl certuser man > kubectl-certuser.1`). clap_mangen's whole-page render lists the verbs
/// as `kubectl-certuser-add(1)`, pages nobody installs; here each verb gets a section of this page.
pub fn man() -> anyhow::Result<Outcome> {
    let page = man_page()?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)?;
    out.flush()?;
    Ok(Outcome::Ok)
}

/// The page in roff: the top command's NAME, SYNOPSIS, DESCRIPTION and global options, then a
/// section per visible verb (its synopsis, description, flags and examples), then EXIT STATUS.
fn man_page() -> std::io::Result<Vec<u8>> {
    let top = Cli::command().name("kubectl-certuser");
    // Taken before `Man::new` builds the top command, which would copy the global flags into
    // every verb: they are listed once, in the top command's options.
    let verbs: Vec<clap::Command> = top
        .get_subcommands()
        .filter(|verb| !verb.is_hide_set())
        .cloned()
        .collect();
    let man = clap_mangen::Man::new(top);
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    for verb in verbs {
        let name = format!("kubectl certuser {}", verb.get_name());
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        let man = clap_mangen::Man::new(verb.bin_name(&name));
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)?;
        man.render_description_section(&mut section)?;
        man.render_options_section(&mut section)?;
        man.render_extra_section(&mut section)?;
        page.extend(as_subsections(&section));
    }
    let mut exit_status = Vec::new();
    man.render_extra_section(&mut exit_status)?;
    page.extend(
        String::from_utf8_lossy(&exit_status)
            .replacen(".SH EXTRA", ".SH \"EXIT STATUS\"", 1)
            .bytes(),
    );
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// A verb's rendered sections inside its own `.SH`: the synopsis and description follow the
/// verb's heading directly, the flag groups become `.SS` subsections, examples stay last.
fn as_subsections(roff: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    for line in String::from_utf8_lossy(roff).lines() {
        match line.strip_prefix(".SH ") {
            Some("SYNOPSIS" | "DESCRIPTION" | "EXTRA") => out.push_str(".PP\n"),
            Some(heading) => {
                out.push_str(".SS ");
                out.push_str(heading);
                out.push('\n');
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.into_bytes()
}
