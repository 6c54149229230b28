//! The three named lists of a kubeconfig, and the key of each item's body: the one table of
//! them, for the document (validation, splicing) and the merged view (lookups, edits).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Clusters,
    Users,
    Contexts,
}

impl Section {
    /// In the order a kubeconfig lists them; `slot` indexes arrays in this order.
    pub(crate) const ALL: [Section; 3] = [Section::Clusters, Section::Users, Section::Contexts];

    /// The top-level list: `clusters`, `users`, `contexts`.
    pub(crate) fn list_key(self) -> &'static str {
        match self {
            Section::Clusters => "clusters",
            Section::Users => "users",
            Section::Contexts => "contexts",
        }
    }

    pub(crate) fn slot(self) -> usize {
        self as usize
    }

    /// The key of each item's body: `cluster`, `user`, `context`.
    pub(crate) fn item_key(self) -> &'static str {
        match self {
            Section::Clusters => "cluster",
            Section::Users => "user",
            Section::Contexts => "context",
        }
    }
}
