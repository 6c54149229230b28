//! The config maps a real cluster publishes its CAs in: `kube-root-ca.crt` in every namespace
//! (the CA a pod uses to trust the API server) and `kube-system/extension-apiserver-authentication`
//! (`client-ca-file`: the CA the API server trusts for client certificates). Here, as on kubeadm,
//! both are the one cluster CA.

use serde_json::json;

use super::store::Store;

pub fn publish(store: &mut Store, ca_pem: &str) {
    for ns in ["default", "kube-system", "dev1"] {
        store
            .create("", "configmaps", ns, json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": { "name": "kube-root-ca.crt", "annotations": { "kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters." } },
                "data": { "ca.crt": ca_pem },
            }))
            .unwrap();
    }
    store
        .create(
            "",
            "configmaps",
            "kube-system",
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": { "name": "extension-apiserver-authentication" },
                "data": {
                    "client-ca-file": ca_pem,
                    "requestheader-allowed-names": "[\"front-proxy-client\"]",
                    "requestheader-extra-headers-prefix": "[\"X-Remote-Extra-\"]",
                    "requestheader-group-headers": "[\"X-Remote-Group\"]",
                    "requestheader-username-headers": "[\"X-Remote-User\"]",
                },
            }),
        )
        .unwrap();
}
