//! kizuna's own Samba AD DC testbed: a throwaway domain `LAB.TEST` on 127.0.0.2 for tests that need
//! a real directory (LDAP, LDAPS, GPOs in SYSVOL, computer accounts with any pwdLastSet).
//!
//! The recipe and its gotchas are measured in `shared/research/samba.md`; this crate follows it.
//! Safety rules: loopback only; one DC per machine (a lock under /tmp); only processes this crate
//! started are ever signalled (pid + start time, pid files in our own dir); the admin password lives
//! in a 0600 file and is scrubbed from everything we return.
//!
//! ```no_run
//! let dc = kizuna_testbed::SambaDc::start().expect("testbed");
//! let guid = dc.create_gpo("Netlogon hardening").unwrap();
//! dc.link_gpo("OU=Domain Controllers,DC=lab,DC=test", &guid, 2).unwrap();
//! dc.stop().unwrap();
//! ```

pub mod browser;
mod ldif;
mod lock;
pub mod ndrdump;
pub mod postgres;
mod process;
pub mod schemathesis;
pub mod sid_hosts;
pub mod windows;

/// Whole-process measurement for the benchmarks.
pub use process::{Measured, measure};

pub use ldif::filetime;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lock::{Lock, Record};
use process::{Ran, run};

const HOST: &str = "127.0.0.2";
const HOST_NAME: &str = "dc1";
const REALM: &str = "LAB.TEST";
const DOMAIN: &str = "LAB";
const DNS_DOMAIN: &str = "lab.test";
const BASE_DN: &str = "DC=lab,DC=test";
const TEMP_PREFIX: &str = "kizuna-testbed-";
/// DSDB_CONTROL_PASSWORD_BYPASS_LAST_SET: lets a local write store any pwdLastSet (LDAP allows 0/-1 only).
const BYPASS_LAST_SET: &str = "local_oid:1.3.6.1.4.1.7165.4.3.20:0";
/// samba.md §0: `samba-ad-provision` is only a Recommends of `samba-ad-dc` but provision needs it.
const PACKAGES: &[&str] = &[
    "samba",
    "samba-ad-dc",
    "samba-ad-provision",
    "samba-dsdb-modules",
    "samba-vfs-modules",
    "winbind",
    "ldb-tools",
    "ldap-utils",
    "krb5-user",
    "smbclient",
    "openssl",
];
const TOOLS: &[&str] = &[
    "samba",
    "samba-tool",
    "ldapsearch",
    "ldbadd",
    "ldbmodify",
    "ldbsearch",
    "openssl",
];
const SCHEMA_FILE: &str =
    "/usr/share/samba/setup/ad-schema/AD_DS_Attributes__Windows_Server_2012_R2.ldf";
const SCRUBBED: &str = "********";
/// Entries per ldb transaction in add_local/modify_local (see `SambaDc::ldb`).
const CHUNK: usize = 500;

/// How to reach the DC and where its files are. Holds no secret: the password is only in `password_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcInfo {
    /// "127.0.0.2"
    pub host: String,
    /// "ldap://127.0.0.2" (port 389); simple binds are allowed without TLS (test DC only).
    pub ldap_url: String,
    /// "ldaps://127.0.0.2" (port 636); the certificate carries SAN IP:127.0.0.2, DNS:dc1.lab.test, DNS:lab.test.
    pub ldaps_url: String,
    /// "LAB.TEST"
    pub realm: String,
    /// "LAB" (NetBIOS)
    pub domain: String,
    /// "lab.test"
    pub dns_domain: String,
    /// "DC=lab,DC=test"
    pub base_dn: String,
    /// "Administrator@lab.test"
    pub admin_upn: String,
    /// 0600 file holding only the admin password, without a newline (so `ldapsearch -y FILE` works).
    pub password_file: PathBuf,
    /// PEM of the test CA that signed the DC's LDAPS certificate.
    pub ca_cert: PathBuf,
    /// The domain's SYSVOL folder (`…/state/sysvol/lab.test`); GPOs are `Policies/{GUID}` in it.
    pub sysvol: PathBuf,
    /// The DC's own computer name ("DC1") and object (`CN=DC1,OU=Domain Controllers,DC=lab,DC=test`).
    pub dc_name: String,
    pub dc_dn: String,
}

struct Samba {
    child: Child,
    /// Samba runs with `-i`, which ends it when stdin closes: if this process dies, so does the DC.
    stdin: Option<ChildStdin>,
    pid: i32,
    start: u64,
}

#[derive(Clone)]
struct Tools {
    samba: PathBuf,
    samba_tool: PathBuf,
    ldapsearch: PathBuf,
    ldbadd: PathBuf,
    ldbmodify: PathBuf,
    ldbsearch: PathBuf,
    openssl: PathBuf,
}

impl Tools {
    fn find() -> Result<Tools, String> {
        let f = |n: &str| process::which(n).ok_or_else(|| format!("{n} not found"));
        Ok(Tools {
            samba: f("samba")?,
            samba_tool: f("samba-tool")?,
            ldapsearch: f("ldapsearch")?,
            ldbadd: f("ldbadd")?,
            ldbmodify: f("ldbmodify")?,
            ldbsearch: f("ldbsearch")?,
            openssl: f("openssl")?,
        })
    }
}

/// A running throwaway AD DC. Stopped (and its temp dir removed) by [`SambaDc::stop`] or on drop.
///
/// Send + Sync, so tests of one binary may share one DC; note a `static` never drops — samba then
/// quits when the process exits (its stdin pipe closes) and the next `start` removes the dir.
pub struct SambaDc {
    info: DcInfo,
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    conf: PathBuf,
    sam_ldb: PathBuf,
    password: String,
    tools: Tools,
    samba: Option<Samba>,
    lock: Option<Lock>,
}

impl std::fmt::Debug for SambaDc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SambaDc")
            .field("dir", &self.root)
            .field("pid", &self.samba.as_ref().map(|s| s.pid))
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// Whether this machine can run the testbed; the error says why not (tests fail loudly with it).
pub fn available() -> Result<(), String> {
    check_available(
        cfg!(target_os = "linux"),
        process::euid(),
        &missing_tools(),
        process::which("apt-get").is_some(),
    )
}

fn check_available(linux: bool, euid: u32, missing: &[String], apt: bool) -> Result<(), String> {
    if !linux {
        return Err("kizuna-testbed runs a Samba AD DC and needs Linux".into());
    }
    if euid != 0 {
        return Err(format!(
            "kizuna-testbed needs root: the DC binds privileged ports (53, 88, 389, 445, 636) on \
             {HOST} and Samba may have to be installed with apt-get; running as uid {euid}"
        ));
    }
    if !missing.is_empty() && !apt {
        return Err(format!(
            "Samba is not installed (missing: {}) and apt-get is not available to install it; \
             install the Debian packages {}",
            missing.join(", "),
            PACKAGES.join(" ")
        ));
    }
    Ok(())
}

fn missing_tools() -> Vec<String> {
    let mut m: Vec<String> = TOOLS
        .iter()
        .filter(|t| process::which(t).is_none())
        .map(|t| t.to_string())
        .collect();
    if !Path::new(SCHEMA_FILE).exists() {
        m.push("samba-ad-provision (AD schema files)".into());
    }
    m
}

fn env_secs(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

fn install() -> Result<(), String> {
    apt_install(PACKAGES)?;
    let still = missing_tools();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "apt-get installed Samba but these are still missing: {}",
            still.join(", ")
        ))
    }
}

/// The program `name` on PATH, or installed from the Debian `packages` (as root, with
/// apt-get) when absent; the error says what to install where that cannot be done here.
pub(crate) fn find_or_install(name: &str, packages: &[&str]) -> Result<std::path::PathBuf, String> {
    if let Some(p) = process::which(name) {
        return Ok(p);
    }
    if process::euid() != 0 || process::which("apt-get").is_none() {
        return Err(format!(
            "{name} is not installed and cannot be installed here (needs root and apt-get); \
             install the Debian packages {}",
            packages.join(" ")
        ));
    }
    apt_install(packages)?;
    process::which(name).ok_or_else(|| {
        format!(
            "apt-get installed {} but {name} is not on PATH",
            packages.join(" ")
        )
    })
}

/// `apt-get update` then `apt-get install` of `packages` (as root, non-interactive; waits
/// for the dpkg lock of a concurrent install).
pub(crate) fn apt_install(packages: &[&str]) -> Result<(), String> {
    let limit = Duration::from_secs(1200);
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut cmd = Command::new("apt-get");
        cmd.env("DEBIAN_FRONTEND", "noninteractive")
            .args(["-o", "DPkg::Lock::Timeout=300", "-q"])
            .args(args);
        let r = run(&mut cmd, None, limit)?;
        if r.ok {
            Ok(())
        } else {
            Err(format!(
                "apt-get {} failed ({}):\n{}",
                args.first().copied().unwrap_or(""),
                r.status,
                process::tail(&format!("{}{}", r.stdout, r.stderr), 20)
            ))
        }
    };
    apt(&["update"])?;
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    apt(&args)
}

/// Refuses to start next to another DC or a system winbindd (they would share ports or the
/// compiled-in winbindd socket, and SMB logons would then fail in confusing ways).
fn refuse_if_busy() -> Result<(), String> {
    for port in [389u16, 445, 88] {
        let addr: SocketAddr = format!("{HOST}:{port}").parse().expect("static address");
        if TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok() {
            return Err(format!(
                "something already listens on {HOST}:{port} (another DC, e.g. one started by \
                 samba-dc.sh, or a system samba/smbd); stop it first"
            ));
        }
    }
    let pipe = "/run/samba/winbindd/pipe";
    if std::os::unix::net::UnixStream::connect(pipe).is_ok() {
        return Err(format!(
            "a winbindd already answers on {pipe}; Samba allows one per machine (smbd always \
             dials that path). Stop it first (e.g. systemctl stop winbind samba-ad-dc)"
        ));
    }
    Ok(())
}

/// Processes in process group `pgid` that are still running.
fn group_members(pgid: i32) -> Vec<i32> {
    process::all_pids()
        .into_iter()
        .filter(|&p| matches!(process::stat(p), Some(s) if s.pgrp == pgid && s.state != 'Z' && s.state != 'X'))
        .collect()
}

/// Running processes whose argv names `conf`: samba-dcerpcd and its rpcd_* workers carry
/// `--configfile=<our smb.conf>`, a path in our random temp dir, so they can only be ours.
fn processes_naming(conf: &Path) -> Vec<i32> {
    let needle = conf.to_string_lossy().into_owned();
    let me = std::process::id() as i32;
    process::all_pids()
        .into_iter()
        .filter(|&p| p != me && process::alive(p) && process::cmdline(p).contains(&needle))
        .collect()
}

/// SIGTERM, wait, then SIGKILL whatever `still()` lists; returns the survivors.
fn terminate(what: &str, mut still: impl FnMut() -> Vec<i32>, problems: &mut Vec<String>) {
    let pids = still();
    if pids.is_empty() {
        return;
    }
    for &p in &pids {
        process::signal(p, libc::SIGTERM);
    }
    if process::wait_until(Duration::from_secs(15), || still().is_empty()) {
        return;
    }
    for p in still() {
        process::signal(p, libc::SIGKILL);
    }
    if !process::wait_until(Duration::from_secs(5), || still().is_empty()) {
        problems.push(format!("{what} still running: pids {:?}", still()));
    }
}

/// Stops the samba-dcerpcd smbd spawned on demand (detached, so not in samba's group) and any
/// other helper naming our smb.conf.
fn stop_helpers(root: &Path, conf: &Path, problems: &mut Vec<String>) {
    let pidfile = root.join("run/samba-dcerpcd.pid");
    if let Some(pid) = fs::read_to_string(&pidfile)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok())
    {
        let conf_s = conf.to_string_lossy().into_owned();
        let ours = move || {
            if process::alive(pid) && process::cmdline(pid).contains(&conf_s) {
                vec![pid]
            } else {
                Vec::new()
            }
        };
        terminate("samba-dcerpcd", ours, problems);
    }
    terminate(
        "helpers naming our smb.conf",
        || processes_naming(conf),
        problems,
    );
}

/// Cleans what a holder that died without stopping its DC left behind (verified as ours first).
fn recover(stale: &Record) -> Result<(), String> {
    if stale.samba.is_none() && stale.dir.is_none() {
        return Ok(());
    }
    let mut problems = Vec::new();
    if let Some((pid, start)) = stale.samba {
        // The group leader may be gone already (samba -i quits when our stdin pipe closes);
        // members must look like samba and be younger than the root we recorded.
        let members = move || {
            process::all_pids()
                .into_iter()
                .filter(|&p| match process::stat(p) {
                    Some(s) => {
                        s.pgrp == pid
                            && s.state != 'Z'
                            && s.state != 'X'
                            && s.start >= start
                            && (p != pid || s.start == start)
                            && process::cmdline(p).starts_with("samba")
                    }
                    None => false,
                })
                .collect()
        };
        terminate("stale samba", members, &mut problems);
    }
    if let Some(dir) = &stale.dir {
        let named_ours = dir.is_absolute()
            && dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(TEMP_PREFIX));
        if named_ours && dir.join("etc/smb.conf").exists() {
            stop_helpers(dir, &dir.join("etc/smb.conf"), &mut problems);
            let removed = match problems.is_empty() {
                true => fs::remove_dir_all(dir),
                false => Ok(()),
            };
            if let Err(e) = removed {
                problems.push(format!("removing {}: {e}", dir.display()));
            }
        }
    }
    if problems.is_empty() {
        eprintln!(
            "kizuna-testbed: cleaned up a DC left by pid {} that did not stop it",
            stale.holder.map_or("?".into(), |p| p.to_string())
        );
        Ok(())
    } else {
        Err(format!(
            "a previous testbed DC (recorded in {}) could not be cleaned up: {}",
            lock::LOCK_PATH,
            problems.join("; ")
        ))
    }
}

fn write_secret(path: &Path, text: &str) -> Result<(), String> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("creating {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

/// "yyyyMMddHHmmss.ffffff-000" (UTC), the form Windows writes into msWMI-*Date.
fn wmi_timestamp(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}.000000-000",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

impl SambaDc {
    /// Installs Samba if missing, provisions `LAB.TEST` in a fresh temp dir with its own CA-signed
    /// LDAPS certificate, starts samba on 127.0.0.2 and waits until LDAP answers (with and without a
    /// bind). Waits for the machine-wide lock if another testbed DC runs. Takes ~6–12 s.
    ///
    /// Knobs: `KIZUNA_TESTBED_LOCK_WAIT_SECS` (900), `KIZUNA_TESTBED_START_TIMEOUT_SECS` (120).
    pub fn start() -> Result<SambaDc, String> {
        available()?;
        let (lock, stale) = Lock::acquire(env_secs("KIZUNA_TESTBED_LOCK_WAIT_SECS", 900))?;
        recover(&stale)?;
        if !missing_tools().is_empty() {
            let t = Instant::now();
            install()?;
            eprintln!(
                "kizuna-testbed: installed Samba packages in {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
        let tools = Tools::find()?;
        refuse_if_busy()?;
        fs::create_dir_all("/run/samba").map_err(|e| format!("creating /run/samba: {e}"))?;
        // /tmp, not $TMPDIR: samba puts unix sockets under this dir and their paths must stay short.
        let dir = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir_in("/tmp")
            .map_err(|e| format!("creating temp dir: {e}"))?;
        let root = dir.path().to_path_buf();
        let info = DcInfo {
            host: HOST.into(),
            // No ":389": samba-tool gpo takes the DC's address from -H and cannot parse a port.
            ldap_url: format!("ldap://{HOST}"),
            ldaps_url: format!("ldaps://{HOST}"),
            realm: REALM.into(),
            domain: DOMAIN.into(),
            dns_domain: DNS_DOMAIN.into(),
            base_dn: BASE_DN.into(),
            admin_upn: format!("Administrator@{DNS_DOMAIN}"),
            password_file: root.join("password"),
            ca_cert: root.join("tls/ca.pem"),
            sysvol: root.join("state/sysvol").join(DNS_DOMAIN),
            dc_name: HOST_NAME.to_ascii_uppercase(),
            dc_dn: format!(
                "CN={},OU=Domain Controllers,{BASE_DN}",
                HOST_NAME.to_ascii_uppercase()
            ),
        };
        let mut dc = SambaDc {
            info,
            conf: root.join("etc/smb.conf"),
            sam_ldb: root.join("private/sam.ldb"),
            password: ldif::random_password()?,
            tools,
            samba: None,
            lock: Some(lock),
            root,
            dir: Some(dir),
        };
        // From here on, an error drops `dc`, which stops whatever was started and removes the dir.
        dc.record()?;
        let t = Instant::now();
        dc.provision()?;
        dc.make_tls()?;
        dc.configure()?;
        dc.set_admin_password()?;
        let provisioned = t.elapsed();
        let t = Instant::now();
        dc.launch()?;
        dc.wait_ready()?;
        eprintln!(
            "kizuna-testbed: provisioned in {:.1} s, LDAP answered {:.1} s after start (dir {})",
            provisioned.as_secs_f64(),
            t.elapsed().as_secs_f64(),
            dc.root.display()
        );
        Ok(dc)
    }

    pub fn info(&self) -> &DcInfo {
        &self.info
    }

    /// The temp dir holding all of this DC's state (removed by stop).
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// Pid of the `samba` root process (diagnostics; the DC's workers share its process group).
    pub fn pid(&self) -> Option<u32> {
        self.samba.as_ref().map(|s| s.pid as u32)
    }

    fn record(&mut self) -> Result<(), String> {
        let samba = self.samba.as_ref().map(|s| (s.pid, s.start));
        match self.lock.as_mut() {
            Some(l) => l.record(samba, &self.root),
            None => Ok(()),
        }
    }

    fn scrub(&self, text: &str) -> String {
        text.replace(&self.password, SCRUBBED)
    }

    /// Runs a helper; on failure the error names `what` and quotes the (scrubbed) output tail.
    fn run_checked(
        &self,
        what: &str,
        cmd: &mut Command,
        input: Option<&[u8]>,
        limit: Duration,
    ) -> Result<Ran, String> {
        let r = run(cmd, input, limit).map_err(|e| self.scrub(&e))?;
        if r.ok {
            Ok(r)
        } else {
            Err(self.scrub(&format!(
                "{what} failed ({}):\n{}",
                r.status,
                process::tail(
                    &format!("{}\n{}", r.stdout, r.stderr).replace("\n\n", "\n"),
                    25
                )
            )))
        }
    }

    fn provision(&self) -> Result<(), String> {
        for d in ["etc", "run", "log"] {
            fs::create_dir_all(self.root.join(d)).map_err(|e| format!("mkdir {d}: {e}"))?;
        }
        // An EMPTY -s file: without -s provision copies /etc/samba/smb.conf's [global] (samba.md §1).
        fs::write(&self.conf, "").map_err(|e| format!("writing smb.conf: {e}"))?;
        let r = self.root.display().to_string();
        let mut cmd = Command::new(&self.tools.samba_tool);
        cmd.arg("domain")
            .arg("provision")
            .arg("-s")
            .arg(&self.conf)
            .arg(format!("--targetdir={r}"))
            .args([
                &format!("--realm={REALM}"),
                &format!("--domain={DOMAIN}"),
                &format!("--host-name={HOST_NAME}"),
                &format!("--host-ip={HOST}"),
                "--server-role=dc",
                "--dns-backend=SAMBA_INTERNAL",
                "--use-rfc2307",
                // IP/mask form: a bare 127.0.0.2 finds no interface since lo only carries 127.0.0.1.
                &format!("--option=interfaces={HOST}/8"),
                "--option=bind interfaces only=yes",
                &format!("--option=pid directory={r}/run"),
                &format!("--option=ncalrpc dir={r}/run/ncalrpc"),
                &format!("--option=ntp signd socket directory={r}/run/ntp_signd"),
                &format!("--option=log file={r}/log/log.%m"),
                "--option=dns forwarder=127.0.0.1",
            ]);
        // No --adminpass: provision picks a random one, replaced below through a local write, so the
        // real password never sits in any argv.
        let out = run(&mut cmd, None, Duration::from_secs(300))?;
        // Keep the log for debugging, minus the line announcing the throwaway generated password.
        let log: String = format!("{}\n{}", out.stdout, out.stderr)
            .lines()
            .filter(|l| !l.to_ascii_lowercase().contains("password:"))
            .map(|l| format!("{l}\n"))
            .collect();
        let _ = fs::write(self.root.join("log/provision.log"), &log);
        if out.ok {
            Ok(())
        } else {
            Err(format!(
                "samba-tool domain provision failed ({}):\n{}",
                out.status,
                process::tail(&log, 20)
            ))
        }
    }

    /// Own CA + server cert with SANs: Samba's autogenerated cert has no SAN and fails
    /// verification by IP (rustls would reject it).
    fn make_tls(&self) -> Result<(), String> {
        let d = self.root.join("tls");
        fs::create_dir_all(&d).map_err(|e| format!("mkdir tls: {e}"))?;
        let ext = format!(
            "subjectAltName=DNS:{HOST_NAME}.{DNS_DOMAIN},DNS:{DNS_DOMAIN},IP:{HOST}\n\
             extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\n"
        );
        fs::write(d.join("ext.cnf"), ext).map_err(|e| format!("writing ext.cnf: {e}"))?;
        let ossl = |args: Vec<String>| -> Result<(), String> {
            let mut cmd = Command::new(&self.tools.openssl);
            cmd.args(args).current_dir(&d);
            self.run_checked("openssl", &mut cmd, None, Duration::from_secs(60))
                .map(|_| ())
        };
        let ca_subj = format!("/CN={REALM} kizuna test CA");
        let dc_subj = format!("/CN={HOST_NAME}.{DNS_DOMAIN}");
        let cmd = |line: &'static str, extra: &[&str]| {
            let mut v: Vec<String> = line.split_whitespace().map(String::from).collect();
            v.extend(extra.iter().map(|s| s.to_string()));
            v
        };
        ossl(cmd(
            "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
            &["-subj", &ca_subj],
        ))?;
        ossl(cmd(
            "req -newkey rsa:2048 -nodes -keyout dc.key -out dc.csr",
            &["-subj", &dc_subj],
        ))?;
        ossl(cmd(
            "x509 -req -in dc.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out dc.pem \
             -days 825 -extfile ext.cnf",
            &[],
        ))?;
        use std::os::unix::fs::PermissionsExt;
        for k in ["ca.key", "dc.key"] {
            // Samba refuses a key file readable by others.
            fs::set_permissions(d.join(k), fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("chmod {k}: {e}"))?;
        }
        Ok(())
    }

    /// Settings provision does not write into smb.conf (samba.md §1).
    fn configure(&self) -> Result<(), String> {
        let text = fs::read_to_string(&self.conf).map_err(|e| format!("reading smb.conf: {e}"))?;
        let tls = self.root.join("tls");
        let extra = format!(
            "\tldap server require strong auth = no\n\ttls enabled = yes\n\
             \ttls keyfile = {k}\n\ttls certfile = {c}\n\ttls cafile = {a}\n",
            k = tls.join("dc.key").display(),
            c = tls.join("dc.pem").display(),
            a = tls.join("ca.pem").display(),
        );
        let Some(pos) = text.find("[global]\n") else {
            return Err(format!("no [global] section in {}", self.conf.display()));
        };
        let at = pos + "[global]\n".len();
        let new = format!("{}{}{}", &text[..at], extra, &text[at..]);
        fs::write(&self.conf, new).map_err(|e| format!("writing smb.conf: {e}"))
    }

    /// Sets our random password by a local write on sam.ldb (LDIF on stdin, never argv), then
    /// writes the 0600 password file.
    fn set_admin_password(&self) -> Result<(), String> {
        let quoted: Vec<u8> = format!("\"{}\"", self.password)
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let ldif = format!(
            "dn: CN=Administrator,CN=Users,{BASE_DN}\nchangetype: modify\nreplace: unicodePwd\n\
             unicodePwd:: {}\n-\n",
            ldif::base64(&quoted)
        );
        let mut cmd = Command::new(&self.tools.ldbmodify);
        cmd.arg("-H").arg(&self.sam_ldb);
        self.run_checked(
            "setting the admin password (ldbmodify)",
            &mut cmd,
            Some(ldif.as_bytes()),
            Duration::from_secs(120),
        )?;
        write_secret(&self.info.password_file, &self.password)
    }

    fn launch(&mut self) -> Result<(), String> {
        let log = File::create(self.root.join("log/samba.stdout"))
            .map_err(|e| format!("creating samba log: {e}"))?;
        let log2 = log.try_clone().map_err(|e| format!("samba log: {e}"))?;
        // -i: foreground, log to stdout, and quit when stdin reaches EOF — our pipe is the
        // lifeline, so a killed test run never leaves a DC behind. Own process group: SIGTERM to
        // the root reaches its workers, and the group tells us which processes are the DC's.
        let child = Command::new(&self.tools.samba)
            .arg("-s")
            .arg(&self.conf)
            .args(["-i", "--no-process-group"])
            .env_remove("PYTHONPATH")
            .env_remove("PYTHONHOME")
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(log2)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("starting samba: {e}"))?;
        let pid = child.id() as i32;
        let start = process::stat(pid).map(|s| s.start).unwrap_or(0);
        let mut child = child;
        let stdin = child.stdin.take();
        self.samba = Some(Samba {
            child,
            stdin,
            pid,
            start,
        });
        self.record()
    }

    fn log_tail(&self) -> String {
        let mut out = String::new();
        for f in ["log/samba.stdout", "log/log.%m", "log/log.smbd"] {
            if let Ok(t) = fs::read_to_string(self.root.join(f)) {
                out.push_str(&format!("--- {f}:\n{}\n", process::tail(&t, 15)));
            }
        }
        self.scrub(&out)
    }

    fn ldap_ok(&self, bind: bool) -> bool {
        let mut cmd = Command::new(&self.tools.ldapsearch);
        cmd.args([
            "-x",
            "-LLL",
            "-o",
            "nettimeout=2",
            "-H",
            &self.info.ldap_url,
        ]);
        if bind {
            cmd.arg("-D")
                .arg(&self.info.admin_upn)
                .arg("-y")
                .arg(&self.info.password_file)
                .args(["-b", BASE_DN, "-s", "base", "dn"]);
        } else {
            cmd.args(["-s", "base", "-b", "", "defaultNamingContext"]);
        }
        matches!(run(&mut cmd, None, Duration::from_secs(10)), Ok(r) if r.ok)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let limit = env_secs("KIZUNA_TESTBED_START_TIMEOUT_SECS", 120);
        let t0 = Instant::now();
        for bind in [false, true] {
            loop {
                let exited = self
                    .samba
                    .as_mut()
                    .and_then(|s| s.child.try_wait().ok().flatten());
                if let Some(st) = exited {
                    return Err(format!(
                        "samba exited during start ({st}):\n{}",
                        self.log_tail()
                    ));
                }
                if self.ldap_ok(bind) {
                    break;
                }
                if t0.elapsed() >= limit {
                    return Err(format!(
                        "LDAP on {} did not answer{} within {} s:\n{}",
                        self.info.ldap_url,
                        if bind { " an authenticated bind" } else { "" },
                        limit.as_secs(),
                        self.log_tail()
                    ));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }

    /// Feeds `ldif` to an ldb tool in chunks of [`CHUNK`] entries, one transaction each: ldb copies
    /// every large index list (objectClass=top, …) into each entry's sub-transaction, so one huge
    /// transaction costs O(n²) — 10,000 computers took 210 s in one call, 87 s in chunks of 500.
    fn ldb(&self, tool: &Path, what: &str, ldif: &str) -> Result<(), String> {
        let entries = ldif::split_entries(ldif);
        let mut done = 0;
        for chunk in entries.chunks(CHUNK) {
            let mut cmd = Command::new(tool);
            cmd.arg("-H")
                .arg(&self.sam_ldb)
                .arg(format!("--controls={BYPASS_LAST_SET}"));
            let input = chunk.join("\n");
            self.run_checked(
                what,
                &mut cmd,
                Some(input.as_bytes()),
                Duration::from_secs(3600),
            )
            .map_err(|e| {
                format!(
                    "{e}\n(entries {}..{} of {}; the {done} before them were applied)",
                    done + 1,
                    done + chunk.len(),
                    entries.len()
                )
            })?;
            done += chunk.len();
        }
        Ok(())
    }

    /// `ldbadd` into the local sam.ldb with DSDB_CONTROL_PASSWORD_BYPASS_LAST_SET, so computers can
    /// carry any pwdLastSet/lastLogonTimestamp (LDAP only allows 0/-1). Any number of entries; they
    /// are applied in transactions of 500, and the first failing entry stops the call.
    pub fn add_local(&self, ldif: &str) -> Result<(), String> {
        self.ldb(&self.tools.ldbadd, "ldbadd", ldif)
    }

    /// `ldbmodify` on the local sam.ldb with the same control (e.g. to age pwdLastSet).
    pub fn modify_local(&self, ldif: &str) -> Result<(), String> {
        self.ldb(&self.tools.ldbmodify, "ldbmodify", ldif)
    }

    /// The directory as an export: `ldbsearch` of the local sam.ldb, every attribute of the
    /// objects a directory audit reads (computers, OUs, the domain object, GPOs, WMI filters,
    /// and the DCs' server objects in the configuration partition), as LDIF: folded lines,
    /// base64 values, `# record N` comments, the way Samba writes it. `attrs` empty: every
    /// attribute.
    pub fn export_ldif(&self, attrs: &[&str]) -> Result<String, String> {
        let base = self.info.base_dn.clone();
        let mut out = String::new();
        for (b, filter) in [
            (
                base.clone(),
                "(|(objectClass=computer)(objectClass=organizationalUnit)(objectClass=domainDNS)\
(objectClass=groupPolicyContainer)(objectClass=msWMI-Som))",
            ),
            (
                format!("CN=Sites,CN=Configuration,{base}"),
                "(objectClass=server)",
            ),
        ] {
            let mut cmd = Command::new(&self.tools.ldbsearch);
            cmd.arg("-H")
                .arg(&self.sam_ldb)
                .args(["-b", &b, "-s", "sub", filter]);
            if attrs.is_empty() {
                cmd.arg("*");
            } else {
                cmd.args(attrs);
            }
            let r = self.run_checked("ldbsearch", &mut cmd, None, Duration::from_secs(300))?;
            out.push_str(&r.stdout);
            out.push('\n');
        }
        Ok(out)
    }

    /// Runs `samba-tool ARGS` against this DC over ldap:// as Administrator and returns stdout.
    /// samba-tool 4.17 has no `-A`; the password reaches it through `PASSWD_FILE` (read by Samba's
    /// credentials code), never argv. `-H` is added unless ARGS has one.
    pub fn samba_tool(&self, args: &[&str]) -> Result<String, String> {
        let mut cmd = Command::new(&self.tools.samba_tool);
        cmd.args(args);
        if !args
            .iter()
            .any(|a| a.starts_with("-H") || a.starts_with("--URL"))
        {
            cmd.args(["-H", &self.info.ldap_url]);
        }
        cmd.args(["-U", "Administrator", "--use-kerberos=off", "-s"])
            .arg(&self.conf)
            .env("PASSWD_FILE", &self.info.password_file)
            .env_remove("PASSWD")
            .env_remove("PASSWD_FD");
        let what = format!("samba-tool {}", args.join(" "));
        let r = self.run_checked(&what, &mut cmd, None, Duration::from_secs(300))?;
        Ok(self.scrub(&r.stdout))
    }

    /// `samba-tool gpo create NAME`; returns the new GPO's "{GUID}".
    pub fn create_gpo(&self, name: &str) -> Result<String, String> {
        let out = self.samba_tool(&["gpo", "create", name])?;
        out.split(|c: char| c.is_whitespace() || c == '\'' || c == '"')
            .find(|w| ldif::is_braced_guid(w))
            .map(str::to_string)
            .ok_or_else(|| format!("samba-tool gpo create printed no {{GUID}}: {out}"))
    }

    /// Links a GPO to `container_dn` with gPLink flags: 0 enabled, 1 disabled, 2 enforced, 3 both.
    /// Writes gPLink as Windows does — `[LDAP://cn={GUID},cn=policies,cn=system,DC=…;FLAGS]`, newest
    /// link first — rather than samba-tool's upper-case `CN=…,CN=Policies` form; relinking updates flags.
    pub fn link_gpo(&self, container_dn: &str, guid: &str, flags: u32) -> Result<(), String> {
        check_guid(guid)?;
        if flags > 3 {
            return Err(format!("gPLink flags must be 0..=3, got {flags}"));
        }
        let gpo_dn = format!("CN={guid},CN=Policies,CN=System,{BASE_DN}");
        if self.search_local(&gpo_dn, "dn")?.is_none() {
            return Err(format!("no GPO {guid} ({gpo_dn})"));
        }
        let current = self
            .search_local(container_dn, "gPLink")?
            .ok_or_else(|| format!("no such container: {container_dn}"))?;
        let ours = format!("[LDAP://cn={guid},cn=policies,cn=system,{BASE_DN};{flags}]");
        let needle = format!("cn={guid},").to_ascii_lowercase();
        let mut gplink = ours;
        for link in ldif::attr_values(&current, "gPLink")
            .concat()
            .split_inclusive(']')
            .filter(|l| !l.trim().is_empty() && !l.to_ascii_lowercase().contains(&needle))
        {
            gplink.push_str(link.trim());
        }
        self.modify_local(&format!(
            "dn: {container_dn}\nchangetype: modify\nreplace: gPLink\n{}-\n",
            ldif::attr_line("gPLink", &gplink)
        ))
    }

    /// Base-scope ldbsearch on the local sam.ldb; None if the object does not exist.
    fn search_local(&self, dn: &str, attr: &str) -> Result<Option<String>, String> {
        let mut cmd = Command::new(&self.tools.ldbsearch);
        cmd.arg("-H")
            .arg(&self.sam_ldb)
            .args(["-s", "base", "-b", dn, attr]);
        let r = run(&mut cmd, None, Duration::from_secs(120)).map_err(|e| self.scrub(&e))?;
        if r.ok && r.stdout.contains("dn: ") {
            Ok(Some(r.stdout))
        } else if r.ok || r.code == Some(32) {
            // 32 = LDB_ERR_NO_SUCH_OBJECT, ldbsearch's exit status for a missing base.
            Ok(None)
        } else {
            Err(self.scrub(&format!(
                "ldbsearch {dn} failed ({}): {}",
                r.status,
                r.stderr.trim()
            )))
        }
    }

    /// Writes `bytes` as given to `rel_path` inside the GPO's SYSVOL folder, creating folders.
    /// Written straight to disk: samba-tool has no "put file" and SMB adds nothing a reader sees.
    pub fn write_sysvol(&self, guid: &str, rel_path: &str, bytes: &[u8]) -> Result<(), String> {
        check_guid(guid)?;
        let rel = Path::new(rel_path);
        if rel_path.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!(
                "rel_path must be a relative path without '..': {rel_path:?}"
            ));
        }
        let policies = self.info.sysvol.join("Policies");
        let folder = fs::read_dir(&policies)
            .map_err(|e| format!("reading {}: {e}", policies.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.eq_ignore_ascii_case(guid))
            })
            .ok_or_else(|| format!("no GPO folder {guid} in {}", policies.display()))?;
        let path = folder.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("mkdir {}: {e}", parent.display()))?;
        }
        fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
    }

    /// Replaces attributes of the GPO object (versionNumber, gPCMachineExtensionNames,
    /// gPCWQLFilter, …) through a local write, visible over LDAP at once.
    pub fn set_gpo_attrs(&self, guid: &str, attrs: &[(&str, &str)]) -> Result<(), String> {
        check_guid(guid)?;
        let mut ldif =
            format!("dn: CN={guid},CN=Policies,CN=System,{BASE_DN}\nchangetype: modify\n");
        for (a, v) in attrs {
            check_attr(a)?;
            ldif.push_str(&format!("replace: {a}\n{}-\n", ldif::attr_line(a, v)));
        }
        self.modify_local(&ldif)
    }

    /// Creates a WMI filter (msWMI-Som under CN=SOM,CN=WMIPolicy,CN=System) as GPMC writes it and
    /// returns its "{GUID}" (for gPCWQLFilter = "[lab.test;{GUID};0]").
    pub fn create_wmi_filter(&self, name: &str, query: &str) -> Result<String, String> {
        let id = ldif::random_guid()?;
        let som = format!("CN=SOM,CN=WMIPolicy,CN=System,{BASE_DN}");
        self.ensure_containers(&[&format!("CN=WMIPolicy,CN=System,{BASE_DN}"), &som])?;
        let now = wmi_timestamp(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        );
        // Windows counts the query length in UTF-16 units.
        let parm2 = format!(
            "1;3;10;{};WQL;root\\CIMv2;{query};",
            query.encode_utf16().count()
        );
        let mut ldif = format!("dn: CN={id},{som}\nobjectClass: msWMI-Som\n");
        for (a, v) in [
            ("msWMI-ID", id.as_str()),
            ("msWMI-Name", name),
            ("msWMI-Parm2", &parm2),
            ("msWMI-Author", &self.info.admin_upn),
            ("msWMI-CreationDate", &now),
            ("msWMI-ChangeDate", &now),
            ("showInAdvancedViewOnly", "TRUE"),
        ] {
            ldif.push_str(&ldif::attr_line(a, v));
        }
        self.add_local(&ldif)?;
        Ok(id)
    }

    fn ensure_containers(&self, dns: &[&str]) -> Result<(), String> {
        for dn in dns {
            if self.search_local(dn, "dn")?.is_none() {
                let cn = dn
                    .split(',')
                    .next()
                    .and_then(|r| r.strip_prefix("CN="))
                    .unwrap_or("");
                self.add_local(&format!("dn: {dn}\nobjectClass: container\ncn: {cn}\n"))?;
            }
        }
        Ok(())
    }

    /// Stops only what this DC started and removes its temp dir: the samba root (pid verified by
    /// start time) and its process group, samba-dcerpcd by its pid file and argv. Zombies count as gone.
    pub fn stop(mut self) -> Result<(), String> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), String> {
        let mut problems = Vec::new();
        if let Some(mut s) = self.samba.take() {
            // Our child stays unreaped until the end, so its pid (= pgid) cannot be reused meanwhile.
            if process::same_process(s.pid, s.start) {
                process::signal(s.pid, libc::SIGTERM);
            }
            drop(s.stdin.take());
            let pgid = s.pid;
            terminate("samba", || group_members(pgid), &mut problems);
            match s.child.try_wait() {
                Ok(Some(_)) => {}
                _ => {
                    if process::same_process(s.pid, s.start) {
                        process::signal(s.pid, libc::SIGKILL);
                    }
                    let _ = s.child.wait();
                }
            }
        }
        stop_helpers(&self.root, &self.conf, &mut problems);
        let closed = match (problems.is_empty(), self.dir.take()) {
            (true, Some(dir)) => dir.close(),
            (false, Some(dir)) => {
                self.dir = Some(dir);
                Ok(())
            }
            (_, None) => Ok(()),
        };
        if let Err(e) = closed {
            problems.push(format!("removing {}: {e}", self.root.display()));
        }
        // Dropping the lock releases it; a record left in it makes the next start retry cleanup.
        let lock = self.lock.take();
        if let (true, Some(mut lock)) = (problems.is_empty(), lock) {
            let _ = lock.clear();
        }
        if problems.is_empty() {
            Ok(())
        } else {
            // Keep the dir for the next holder's recovery.
            if let Some(dir) = self.dir.take() {
                let _ = dir.keep();
            }
            Err(self.scrub(&format!("stopping the testbed DC: {}", problems.join("; "))))
        }
    }
}

impl Drop for SambaDc {
    fn drop(&mut self) {
        let started = self.samba.is_some() || self.dir.is_some() || self.lock.is_some();
        if let Err(e) = if started { self.stop_inner() } else { Ok(()) } {
            eprintln!("kizuna-testbed: {e}");
        }
    }
}

fn check_guid(guid: &str) -> Result<(), String> {
    if ldif::is_braced_guid(guid) {
        Ok(())
    } else {
        Err(format!("not a {{GUID}}: {guid:?}"))
    }
}

fn check_attr(a: &str) -> Result<(), String> {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(())
    } else {
        Err(format!("not an attribute name: {a:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_explains_itself() {
        let e = check_available(true, 1000, &[], true).unwrap_err();
        assert!(e.contains("needs root") && e.contains("uid 1000"), "{e}");
        let e = check_available(true, 0, &["samba".into()], false).unwrap_err();
        assert!(
            e.contains("apt-get") && e.contains("samba-ad-provision"),
            "{e}"
        );
        let e = check_available(false, 0, &[], true).unwrap_err();
        assert!(e.contains("Linux"), "{e}");
        assert!(check_available(true, 0, &["samba".into()], true).is_ok());
        assert!(check_available(true, 0, &[], false).is_ok());
    }

    #[test]
    fn a_dc_can_be_shared_between_test_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<SambaDc>();
        send_sync::<DcInfo>();
    }

    #[test]
    fn wmi_timestamps_are_utc_civil_dates() {
        assert_eq!(wmi_timestamp(0), "19700101000000.000000-000");
        assert_eq!(wmi_timestamp(1_723_732_350), "20240815143230.000000-000");
        assert_eq!(wmi_timestamp(951_782_400), "20000229000000.000000-000");
    }

    #[test]
    fn attr_and_guid_checks_reject_injection() {
        assert!(check_attr("gPCWQLFilter").is_ok());
        assert!(check_attr("a\ndn: x").is_err());
        assert!(check_guid("{31B2F340-016D-11D2-945F-00C04FB984F9}").is_ok());
        assert!(check_guid("{31B2F340-016D-11D2-945F-00C04FB984F9}\n").is_err());
    }
}
