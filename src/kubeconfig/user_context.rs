//! The context that reaches a cluster as a user: `USER@CLUSTER` (the seed recipe's naming, and
//! what `add` writes), else the first context whose user it is.

use super::{Kubeconfigs, Section};

/// The kubeconfig context for a user: `USER@CLUSTER`.
pub fn user_context(user: &str, cluster: &str) -> String {
    format!("{user}@{cluster}")
}

/// The context to reach the cluster as `user`: `USER@CLUSTER` if it exists, else the first context
/// whose user is `user`.
pub fn context_for_user(kcs: &Kubeconfigs, user: &str, cluster: Option<&str>) -> Option<String> {
    if let Some(cluster) = cluster {
        let preferred = user_context(user, cluster);
        if kcs.get(Section::Contexts, &preferred).is_some() {
            return Some(preferred);
        }
    }
    kcs.contexts_using(user).into_iter().next()
}
