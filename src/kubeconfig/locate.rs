//! Which kubeconfig files a command reads and which one it writes, by kubectl's rules
//! (client-go `tools/clientcmd`: `ClientConfigLoadingRules`, `PathOptions.GetDefaultFilename`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub const KUBECONFIG_ENV: &str = "KUBECONFIG";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sources {
    /// In precedence order: for each name, the first file that defines it wins.
    pub files: Vec<PathBuf>,
    /// `--kubeconfig`: only that file, and it must exist to be read.
    pub explicit: bool,
}

impl Sources {
    /// `--kubeconfig` > `KUBECONFIG` > `~/.kube/config`, from this process's environment.
    pub fn resolve(explicit: Option<&Path>) -> Sources {
        let env = std::env::var_os(KUBECONFIG_ENV);
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .or_else(dirs::home_dir);
        Sources::from_parts(explicit, env.as_deref(), home.as_deref())
    }

    pub fn from_parts(
        explicit: Option<&Path>,
        env: Option<&OsStr>,
        home: Option<&Path>,
    ) -> Sources {
        if let Some(path) = explicit {
            return Sources {
                files: vec![path.to_path_buf()],
                explicit: true,
            };
        }
        if let Some(env) = env {
            let mut files: Vec<PathBuf> = Vec::new();
            for path in std::env::split_paths(env) {
                // Empty entries mean nothing; a file named twice is read once, at its first place.
                if !path.as_os_str().is_empty() && !files.contains(&path) {
                    files.push(path);
                }
            }
            if !files.is_empty() {
                return Sources {
                    files,
                    explicit: false,
                };
            }
        }
        let home = home.map(Path::to_path_buf).unwrap_or_default();
        Sources {
            files: vec![home.join(".kube").join("config")],
            explicit: false,
        }
    }

    /// Where new entries go: the explicit file; else with one `KUBECONFIG` file, that one; else
    /// the first file of the list that exists; else the last of the list.
    pub fn default_write_file(&self) -> PathBuf {
        if self.explicit || self.files.len() == 1 {
            return self.files[0].clone();
        }
        self.files
            .iter()
            .find(|f| f.exists())
            .unwrap_or_else(|| self.files.last().expect("at least one file"))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_of_flag_env_and_home() {
        let home = Path::new("/home/me");
        let s = Sources::from_parts(
            Some(Path::new("x.yaml")),
            Some(OsStr::new("/a:/b")),
            Some(home),
        );
        assert_eq!((s.files, s.explicit), (vec![PathBuf::from("x.yaml")], true));
        let s = Sources::from_parts(None, Some(OsStr::new("/a::/b:/a")), Some(home));
        assert_eq!(s.files, [PathBuf::from("/a"), PathBuf::from("/b")]);
        assert!(!s.explicit);
        let s = Sources::from_parts(None, Some(OsStr::new("")), Some(home));
        assert_eq!(s.files, [PathBuf::from("/home/me/.kube/config")]);
        let s = Sources::from_parts(None, None, Some(home));
        assert_eq!(s.files, [PathBuf::from("/home/me/.kube/config")]);
    }

    #[test]
    fn new_entries_go_to_the_first_existing_file_else_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        let env = std::env::join_paths([&a, &b, &c]).unwrap();
        let s = Sources::from_parts(None, Some(&env), None);
        assert_eq!(s.default_write_file(), c, "none exists: the last");
        std::fs::write(&b, "").unwrap();
        assert_eq!(s.default_write_file(), b);
        std::fs::write(&c, "").unwrap();
        assert_eq!(s.default_write_file(), b, "the first existing");
        let one = Sources::from_parts(None, Some(a.as_os_str()), None);
        assert_eq!(one.default_write_file(), a);
    }
}
