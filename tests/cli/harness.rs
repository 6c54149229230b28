//! Per-test sandboxes: a temp HOME and kubeconfig (tests never touch the real home), our binary,
//! and the independent judges: the real `openssl` and `kubectl` command-line tools.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::fake_apiserver::{FakeApiServer, FakeOptions};

pub const BIN: &str = env!("CARGO_BIN_EXE_kubectl-certuser");

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    /// The kubeconfig our binary and kubectl use unless a test says otherwise.
    pub kubeconfig: PathBuf,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let kubeconfig = dir.path().join("config");
        Sandbox {
            dir,
            home,
            kubeconfig,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path());
    }

    /// Our binary, with this sandbox's HOME and KUBECONFIG.
    pub fn certuser(&self) -> Command {
        let mut cmd = Command::new(BIN);
        self.env(&mut cmd);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(
            self.certuser()
                .args(args)
                .output()
                .expect("run kubectl-certuser"),
        )
    }

    /// The real kubectl, same environment.
    pub fn kubectl(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new("kubectl");
        self.env(&mut cmd);
        Run::of(
            cmd.args(args)
                .output()
                .expect("kubectl is installed (v1.32 on every machine)"),
        )
    }

    /// `kubectl config view --raw -o json` of the sandbox kubeconfig: what the real tool reads.
    pub fn kubectl_view(&self) -> Value {
        let run = self.kubectl(&["config", "view", "--raw", "-o", "json"]);
        run.ok();
        serde_json::from_str(&run.stdout).expect("kubectl prints JSON")
    }

    /// A kubeconfig as `kubectl config set-*` writes it: cluster `kubernetes`, an admin user and
    /// context, current.
    pub fn seed_kubeconfig(&self) {
        let ca = self.path("ca.crt");
        for args in [
            vec![
                "config",
                "set-cluster",
                "kubernetes",
                "--server",
                "https://127.0.0.1:1",
                "--certificate-authority",
                ca.to_str().unwrap(),
            ],
            vec![
                "config",
                "set-credentials",
                "kubernetes-admin",
                "--token",
                "admin-token",
            ],
            vec![
                "config",
                "set-context",
                "kubernetes-admin@kubernetes",
                "--cluster",
                "kubernetes",
                "--user",
                "kubernetes-admin",
            ],
            vec!["config", "use-context", "kubernetes-admin@kubernetes"],
        ] {
            self.kubectl(&args).ok();
        }
    }

    /// A fake API server started with `options`, and a sandbox whose kubeconfig is its
    /// administrator's (cluster `kubernetes`): the setting of the CSR API tests.
    pub fn with_fake_cluster(options: FakeOptions) -> (FakeApiServer, Sandbox) {
        let server = FakeApiServer::start(options);
        let sb = Sandbox::new();
        server.admin_kubeconfig(&sb.kubeconfig, "kubernetes");
        (server, sb)
    }

    /// A sandbox with an openssl CA (`ca.crt`, `ca.key`) and a kubectl-made kubeconfig: the
    /// setting of most local-CA tests.
    pub fn with_local_ca() -> Sandbox {
        let sb = Sandbox::new();
        sb.openssl_ca();
        sb.seed_kubeconfig();
        sb
    }

    /// `add` signed by the sandbox's openssl CA, with an ECDSA key (fast) and no access check,
    /// then `extra` (users and flags).
    pub fn add_local(&self, extra: &[&str]) -> Run {
        let (crt, key) = (self.path("ca.crt"), self.path("ca.key"));
        let mut args = vec!["add", "--no-check", "--key-type", "ecdsa-p256"];
        args.extend([
            "--ca-cert",
            crt.to_str().unwrap(),
            "--ca-key",
            key.to_str().unwrap(),
        ]);
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// A CA made by the openssl tool, not by us: `ca.crt` and `ca.key` in the sandbox.
    pub fn openssl_ca(&self) -> (PathBuf, PathBuf) {
        let (crt, key) = (self.path("ca.crt"), self.path("ca.key"));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            crt.to_str().unwrap(),
            "-subj",
            "/CN=kubernetes",
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        ])
        .ok();
        (crt, key)
    }

    pub fn read(&self, path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_default()
    }

    /// Every file under the sandbox with its bytes: to prove a failed command changed nothing.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let bytes = std::fs::read(&path).unwrap_or_default();
                    files.push((path, bytes));
                }
            }
        }
        files.sort();
        files
    }
}

/// Run the openssl command-line tool.
pub fn openssl(args: &[&str]) -> Run {
    Run::of(
        Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl is installed"),
    )
}

/// openssl with stdin.
pub fn openssl_stdin(args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    child.stdin.take().unwrap().write_all(input).unwrap();
    Run::of(child.wait_with_output().unwrap())
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// A refused command: exit 2 and an `error:` line mentioning `needle`.
    #[track_caller]
    pub fn fails_with(&self, needle: &str) -> &Run {
        assert_eq!(
            self.code, 2,
            "expected exit 2\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains("error: "),
            "no error line: {}",
            self.stderr
        );
        assert!(
            self.stderr.to_lowercase().contains(&needle.to_lowercase()),
            "stderr does not mention {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// The named entry of a kubectl `config view -o json` section.
pub fn entry<'a>(view: &'a Value, section: &str, name: &str) -> Option<&'a Value> {
    view[section].as_array()?.iter().find(|e| e["name"] == name)
}

/// Decode a `*-data` field to PEM text.
pub fn decode(data: &Value) -> Vec<u8> {
    openssl::base64::decode_block(data.as_str().expect("base64 string")).expect("valid base64")
}

/// A self-signed CA with chosen validity dates (`openssl ca` is the tool that can back-date).
pub fn openssl_ca_with_dates(sb: &Sandbox, crt: &Path, key: &Path, start: &str, end: &str) {
    let work = sb.path("openssl-ca");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("index.txt"), "").unwrap();
    std::fs::write(work.join("serial"), "01\n").unwrap();
    std::fs::write(
        work.join("ca.cnf"),
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\n\
         policy = any\nx509_extensions = ext\n[any]\ncommonName = supplied\n\
         [ext]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign\n",
    )
    .unwrap();
    openssl(&["genrsa", "-out", key.to_str().unwrap(), "2048"]).ok();
    let csr = work.join("ca.csr");
    openssl(&[
        "req",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        "/CN=dated-ca",
        "-out",
        csr.to_str().unwrap(),
    ])
    .ok();
    let run = Command::new("openssl")
        .current_dir(&work)
        .args([
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-selfsign",
            "-keyfile",
            key.to_str().unwrap(),
            "-in",
            "ca.csr",
        ])
        .args([
            "-startdate",
            start,
            "-enddate",
            end,
            "-notext",
            "-out",
            crt.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::remove_dir_all(&work).unwrap();
}

/// `openssl ca` time format (UTC), `days` from now (negative: in the past).
pub fn openssl_date(days: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days))
        .strftime("%Y%m%d%H%M%SZ")
        .to_string()
}

/// A certificate for `subject` signed by the CA `ca`/`ca_key` with chosen dates, made by the
/// openssl tool. `extensions` is an openssl config section body (e.g. `basicConstraints =
/// CA:FALSE`). A new key goes to `out.key` unless `key` names an existing one.
#[allow(clippy::too_many_arguments)]
pub fn openssl_signed(
    sb: &Sandbox,
    ca: &Path,
    ca_key: &Path,
    subject: &str,
    start: &str,
    end: &str,
    extensions: &str,
    out: &Path,
    key: Option<&Path>,
) -> PathBuf {
    let work = tempfile::tempdir_in(sb.dir.path()).unwrap();
    let w = work.path();
    std::fs::write(w.join("index.txt"), "").unwrap();
    std::fs::write(w.join("serial"), "1000\n").unwrap();
    std::fs::write(
        w.join("ca.cnf"),
        format!(
            "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\n\
             policy = any\nx509_extensions = ext\nunique_subject = no\n[any]\ncommonName = supplied\norganizationName = optional\n[ext]\n{extensions}\n"
        ),
    )
    .unwrap();
    let key = match key {
        Some(k) => k.to_path_buf(),
        None => {
            let k = out.with_extension("key");
            openssl(&["genrsa", "-out", k.to_str().unwrap(), "2048"]).ok();
            k
        }
    };
    let csr = w.join("req.csr");
    openssl(&[
        "req",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        subject,
        "-out",
        csr.to_str().unwrap(),
    ])
    .ok();
    let run = Command::new("openssl")
        .current_dir(w)
        .args(["ca", "-batch", "-config", "ca.cnf", "-cert"])
        .arg(ca)
        .arg("-keyfile")
        .arg(ca_key)
        .args([
            "-in",
            "req.csr",
            "-startdate",
            start,
            "-enddate",
            end,
            "-notext",
            "-out",
        ])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    key
}
