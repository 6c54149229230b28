//! What a cluster client needs, read from the one merged view ([`Kubeconfigs`]): which context,
//! cluster and user a command means, and their entries with every relative path resolved against
//! the file that names it. Cluster clients are built from this and from nothing else, so a
//! command that talks to the cluster sees exactly the kubeconfig the editor sees.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::entry::Entry;
use super::{Kubeconfigs, Section};

/// What the command line asks for: kubectl's `--context` and `--cluster`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub context: Option<String>,
    pub cluster: Option<String>,
}

/// The names a selection resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    /// The context in use; `None` when the kubeconfig has no current-context.
    pub context: Option<String>,
    pub cluster: String,
    /// The user whose credentials are sent; `None` means anonymous.
    pub user: Option<String>,
    /// No context chose the cluster: it is the only one in the kubeconfig (say so).
    pub only_cluster: bool,
}

/// Why no cluster could be chosen. The messages name the files; [`SelectError::hint`] the fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// Not one of the files exists: a first cluster entry creates the file.
    #[error("there is no kubeconfig: {files} does not exist")]
    NoKubeconfig { files: String },
    #[error("{files} has no current-context and no clusters")]
    NoClusters { files: String },
    #[error(
        "{files} has no current-context, and {} clusters: {}",
        clusters.len(),
        clusters.join(", ")
    )]
    SeveralClusters {
        files: String,
        clusters: Vec<String>,
    },
    #[error("context {name:?} not found in {files}")]
    ContextNotFound { name: String, files: String },
    #[error("context {name:?} names no cluster")]
    ContextWithoutCluster { name: String },
    #[error("cluster {name:?} not found in {files}")]
    ClusterNotFound { name: String, files: String },
}

impl SelectError {
    pub fn hint(&self) -> &'static str {
        match self {
            SelectError::NoKubeconfig { .. } => {
                "create it with the cluster's entry: `kubectl config set-cluster NAME --server URL --certificate-authority ca.crt`, or point --kubeconfig/KUBECONFIG at the right file"
            }
            SelectError::NoClusters { .. } => {
                "add one with `kubectl config set-cluster NAME --server URL --certificate-authority ca.crt`, or point --kubeconfig/KUBECONFIG at the right file"
            }
            SelectError::SeveralClusters { .. } => {
                "pass --cluster NAME or --context NAME, or set one with `kubectl config use-context NAME`"
            }
            SelectError::ContextNotFound { .. } => {
                "see `kubectl config get-contexts` for the names"
            }
            SelectError::ContextWithoutCluster { .. } => "pass --cluster NAME",
            SelectError::ClusterNotFound { .. } => {
                "add it with `kubectl config set-cluster`, or see `kubectl config get-clusters` for the names"
            }
        }
    }
}

/// A context's cluster and user, their bodies with paths resolved (for reading only: these are
/// never written back). The input of `cluster::connect`.
#[derive(Clone, Debug)]
pub struct ClientView {
    pub selected: Selected,
    /// The `cluster` map: `server`, `certificate-authority[-data]`, `proxy-url`, ...
    pub cluster: Map<String, Value>,
    /// The `user` map (empty for anonymous): certificates, tokens, exec, ...
    pub user: Map<String, Value>,
    /// The context's namespace, if it sets one.
    pub namespace: Option<String>,
    /// The files the cluster and the user entries come from (for messages).
    pub cluster_file: PathBuf,
    pub user_file: Option<PathBuf>,
}

impl Kubeconfigs {
    /// kubectl's choice: `--context` else current-context; `--cluster` else the context's
    /// cluster; the context's user. Where kubectl would fall back to `localhost:8080` (no
    /// context at all), a person's choice: the only cluster there is (and the only user, if
    /// there is exactly one), else an error listing the clusters.
    pub fn select(&self, selection: &Selection) -> Result<Selected, SelectError> {
        let files = self.file_list();
        let context_name = selection
            .context
            .clone()
            .or_else(|| self.current_context().map(String::from));
        let (context, cluster, user, only_cluster) = match &context_name {
            Some(name) => {
                let Some(entry) = self.get(Section::Contexts, name) else {
                    return Err(SelectError::ContextNotFound {
                        name: name.clone(),
                        files,
                    });
                };
                let named = |key: &str| {
                    entry
                        .value
                        .get(key)
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                };
                let cluster = match selection.cluster.clone().or_else(|| named("cluster")) {
                    Some(cluster) => cluster,
                    None => {
                        return Err(SelectError::ContextWithoutCluster { name: name.clone() });
                    }
                };
                (Some(name.clone()), cluster, named("user"), false)
            }
            None => {
                let users = self.names(Section::Users);
                let only_user = (users.len() == 1).then(|| users[0].clone());
                match (&selection.cluster, self.names(Section::Clusters).as_slice()) {
                    (Some(cluster), _) => (None, cluster.clone(), only_user, false),
                    (None, []) if !self.files().any(|f| f.exists()) => {
                        return Err(SelectError::NoKubeconfig { files });
                    }
                    (None, []) => return Err(SelectError::NoClusters { files }),
                    (None, [one]) => (None, one.clone(), only_user, true),
                    (None, several) => {
                        return Err(SelectError::SeveralClusters {
                            files,
                            clusters: several.to_vec(),
                        });
                    }
                }
            }
        };
        if self.get(Section::Clusters, &cluster).is_none() {
            return Err(SelectError::ClusterNotFound {
                name: cluster,
                files,
            });
        }
        Ok(Selected {
            context,
            cluster,
            user,
            only_cluster,
        })
    }

    /// The entries behind a selection, ready for a client.
    pub fn client_view(&self, selected: &Selected) -> Result<ClientView, SelectError> {
        let cluster = self
            .get(Section::Clusters, &selected.cluster)
            .ok_or_else(|| SelectError::ClusterNotFound {
                name: selected.cluster.clone(),
                files: self.file_list(),
            })?;
        // client-go does not fail on a missing user entry (anonymous), and neither do we.
        let user = selected
            .user
            .as_deref()
            .and_then(|name| self.get(Section::Users, name));
        let namespace = selected
            .context
            .as_deref()
            .and_then(|name| self.get(Section::Contexts, name))
            .and_then(|c| c.value.get("namespace").and_then(Value::as_str))
            .filter(|ns| !ns.is_empty())
            .map(String::from);
        Ok(ClientView {
            selected: selected.clone(),
            cluster: resolved(&cluster, &["certificate-authority"]),
            user: user
                .map(|u| {
                    let mut body = resolved(&u, &["client-certificate", "client-key", "tokenFile"]);
                    resolve_exec_command(&u, &mut body);
                    body
                })
                .unwrap_or_default(),
            namespace,
            cluster_file: cluster.file.to_path_buf(),
            user_file: user.map(|u| u.file.to_path_buf()),
        })
    }

    /// The kubeconfig files, for messages: "/root/.kube/config" or "a:b".
    pub fn file_list(&self) -> String {
        let files: Vec<String> = self.files().map(|p| p.display().to_string()).collect();
        if files.is_empty() {
            "the kubeconfig".to_string()
        } else {
            files.join(":")
        }
    }
}

/// The entry's body with the named path fields resolved, as client-go's `ResolvePaths` does
/// (empty values stay empty).
fn resolved(entry: &Entry<'_>, keys: &[&str]) -> Map<String, Value> {
    let mut body = entry.value.clone();
    for key in keys {
        if let Some(Value::String(path)) = body.get_mut(*key)
            && !path.is_empty()
        {
            *path = entry.resolve_path(path).display().to_string();
        }
    }
    body
}

/// An exec plugin's command is a file path only when it contains a separator (else it is
/// looked up in PATH), as in client-go's `GetAuthInfoFileReferences`.
fn resolve_exec_command(entry: &Entry<'_>, body: &mut Map<String, Value>) {
    if let Some(Value::String(command)) = body.get_mut("exec").and_then(|e| e.get_mut("command"))
        && command.contains(std::path::MAIN_SEPARATOR)
    {
        *command = entry.resolve_path(command).display().to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::Sources;
    use std::path::Path;

    fn load(dir: &Path, files: &[(&str, &str)]) -> Kubeconfigs {
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let env = std::env::join_paths(files.iter().map(|(n, _)| dir.join(n))).unwrap();
        Kubeconfigs::load(&Sources::from_parts(None, Some(&env), None)).unwrap()
    }

    const TWO: &str = "clusters:\n- name: c1\n  cluster: {server: https://a}\n- name: c2\n  cluster: {server: https://b}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c1, user: u, namespace: dev1}\n";

    #[test]
    fn kubectls_rules_when_a_context_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let kcs = load(
            dir.path(),
            &[
                ("a", "current-context: \"\"\n"),
                ("b", &format!("{TWO}current-context: x\n")),
            ],
        );
        let s = kcs.select(&Selection::default()).unwrap();
        assert_eq!(
            (s.context.as_deref(), s.cluster.as_str(), s.user.as_deref()),
            (Some("x"), "c1", Some("u")),
            "an empty current-context does not count"
        );
        let s = kcs
            .select(&Selection {
                cluster: Some("c2".into()),
                ..Selection::default()
            })
            .unwrap();
        assert_eq!((s.cluster.as_str(), s.user.as_deref()), ("c2", Some("u")));
        let view = kcs.client_view(&s).unwrap();
        assert_eq!(view.cluster["server"], "https://b");
        assert_eq!(view.namespace.as_deref(), Some("dev1"));
        let err = kcs
            .select(&Selection {
                context: Some("nope".into()),
                ..Selection::default()
            })
            .unwrap_err();
        assert!(matches!(err, SelectError::ContextNotFound { .. }), "{err}");
    }

    #[test]
    fn without_a_context_the_only_cluster_or_a_list() {
        let dir = tempfile::tempdir().unwrap();
        let kcs = load(dir.path(), &[("k", TWO)]);
        let err = kcs.select(&Selection::default()).unwrap_err();
        assert!(err.to_string().ends_with("2 clusters: c1, c2"), "{err}");
        let one = load(
            dir.path(),
            &[(
                "one",
                "clusters:\n- name: solo\n  cluster: {server: https://s}\n",
            )],
        );
        let s = one.select(&Selection::default()).unwrap();
        assert_eq!(
            (s.cluster.as_str(), s.only_cluster, s.user),
            ("solo", true, None)
        );
        let with_user = load(
            dir.path(),
            &[(
                "with-user",
                "clusters:\n- name: solo\n  cluster: {server: https://s}\nusers:\n- name: admin\n  user: {token: t}\n",
            )],
        );
        let s = with_user.select(&Selection::default()).unwrap();
        assert_eq!(
            s.user.as_deref(),
            Some("admin"),
            "the only user goes with the only cluster"
        );
        let none = load(dir.path(), &[("none", "users: []\n")]);
        assert!(matches!(
            none.select(&Selection::default()),
            Err(SelectError::NoClusters { .. })
        ));
    }

    #[test]
    fn paths_resolve_against_their_own_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let kcs = load(
            dir.path(),
            &[
                (
                    "sub/a",
                    "users:\n- name: u\n  user: {client-certificate: u.crt, client-key: /abs/u.key, tokenFile: \"\", exec: {command: bin/plugin}}\n",
                ),
                (
                    "b",
                    "clusters:\n- name: c\n  cluster: {server: https://s, certificate-authority: pki/ca.crt}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n",
                ),
            ],
        );
        let view = kcs
            .client_view(&kcs.select(&Selection::default()).unwrap())
            .unwrap();
        let path = |p: &str| Value::from(dir.path().join(p).display().to_string());
        assert_eq!(view.cluster["certificate-authority"], path("pki/ca.crt"));
        assert_eq!(view.user["client-certificate"], path("sub/u.crt"));
        assert_eq!(view.user["client-key"], "/abs/u.key");
        assert_eq!(view.user["tokenFile"], "");
        assert_eq!(view.user["exec"]["command"], path("sub/bin/plugin"));
    }
}
