//! Each user's certificate, from the keys made while the kubeconfig was read: a local CA signs
//! them all across the cores, the CSR API one after another.

use std::time::Duration;

use super::IssuedUser;
use super::head_start::KeysInMaking;
use super::keys;
use super::signer::{self, Signer};
use crate::cli::AddArgs;
use crate::commands::Ctx;
use crate::pki::{CertificateAuthority, KeyType, PrivateKey, Subject};

/// Every user's certificate, in the order of `args.users`, with their key ready to write.
pub(super) fn issue_all(
    ctx: &Ctx,
    args: &AddArgs,
    signer: &Signer,
    rt: &tokio::runtime::Runtime,
    groups_of: &[Vec<String>],
    keys: KeysInMaking,
    validity: Duration,
) -> anyhow::Result<Vec<IssuedUser>> {
    let keys = {
        let _spinner = rsa_4096_spinner(ctx, &args.users, args.key.key_type);
        signer.beside_requests(rt, move || keys.wait())?
    };
    let subject = |i: usize| Subject {
        common_name: args.users[i].clone(),
        organizations: groups_of[i].clone(),
    };
    if let Signer::Local(ca) = signer {
        return issue_all_locally(ctx, ca, &args.users, &keys, subject, validity);
    }
    let mut issued = Vec::new();
    for (i, (user, key)) in args.users.iter().zip(keys).enumerate() {
        if args.users.len() > 1 {
            ctx.out
                .progress(format!("[{}/{}] {user}", i + 1, args.users.len()));
        }
        let (signed, info) = signer.issue(ctx, rt, &key, &subject(i), validity)?;
        issued.push(IssuedUser {
            user: user.clone(),
            key: key.to_pem()?,
            private: key,
            signed,
            info,
        });
    }
    Ok(issued)
}

/// With a local CA each user's signature and read-back is CPU work that needs nothing from
/// another user's: one job per user across the cores, the CA shared read-only.
fn issue_all_locally(
    ctx: &Ctx,
    ca: &CertificateAuthority,
    users: &[String],
    keys: &[PrivateKey],
    subject: impl Fn(usize) -> Subject + Sync,
    validity: Duration,
) -> anyhow::Result<Vec<IssuedUser>> {
    let issued = keys::in_parallel(users.len(), keys::workers_for(users.len()), |i| {
        let (signed, info, warning) = signer::issue_for_key(ca, &keys[i], &subject(i), validity)?;
        let one = IssuedUser {
            user: users[i].clone(),
            key: keys[i].to_pem()?,
            private: PrivateKey::from_pkey(keys[i].pkey().to_owned()),
            signed,
            info,
        };
        Ok((one, warning))
    })?;
    Ok(issued
        .into_iter()
        .map(|(one, warning)| {
            if let Some(warning) = warning {
                ctx.out.warn(warning);
            }
            one
        })
        .collect())
}

/// RSA 4096 takes seconds: show that something is happening.
fn rsa_4096_spinner(ctx: &Ctx, users: &[String], kind: KeyType) -> Option<crate::output::Spinner> {
    if !matches!(kind, KeyType::Rsa4096) {
        return None;
    }
    ctx.out.spinner(match users {
        [one] => format!("generating an RSA 4096 key for {one}..."),
        _ => format!("generating {} RSA 4096 keys...", users.len()),
    })
}
