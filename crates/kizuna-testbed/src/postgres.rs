//! A throwaway PostgreSQL server on 127.0.0.1 for the tests of the store and the server.
//!
//! One server per test process, started on first use: `initdb` into a temporary folder
//! (scram-sha-256 password authentication, a random password kept in a 0600 file), then
//! `postgres` on a free loopback port, as the `postgres` user when we are root (PostgreSQL
//! refuses to run as root). The server is started from a thread that lives as long as the
//! process and is told to stop (SIGINT, fast shutdown) by the kernel when the process ends,
//! however it ends (`PR_SET_PDEATHSIG`). Each test gets a database of its own.
//! PostgreSQL is installed from Debian's packages when missing (as root, with apt-get).
//! Folders left by earlier runs are removed once the server recorded in them is gone; no
//! other process is ever signalled.

use std::fmt;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::process::{self, run};

const PACKAGES: &[&str] = &["postgresql"];
const PREFIX: &str = "kizuna-pg-";
const SUPERUSER: &str = "kizuna";

/// A running test server.
pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    password: String,
}

/// The test CA's certificate (PEM) in the server's folder: the server offers TLS with a
/// certificate it signed, for `localhost` and 127.0.0.1. Plain connections still work.
const CA_FILE: &str = "ca.pem";

/// A database of one test on the shared server.
pub struct PgDatabase {
    /// `postgres://kizuna:…@127.0.0.1:PORT/NAME`; holds the test server's password.
    pub url: String,
    pub name: String,
}

impl fmt::Debug for PgDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgDatabase({})", self.name)
    }
}

/// A new, empty database on the process's test server (started on first use): the one
/// way tests get a PostgreSQL store. Panics with the reason when the server cannot start.
pub fn new_database() -> PgDatabase {
    PgServer::shared()
        .and_then(PgServer::create_database)
        .unwrap_or_else(|e| panic!("the PostgreSQL testbed cannot start: {e}"))
}

impl PgServer {
    /// The process's server, started on first use.
    pub fn shared() -> Result<&'static PgServer, String> {
        static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
        SERVER.get_or_init(start).as_ref().map_err(Clone::clone)
    }

    /// A new, empty database. Its default collation is ICU's `en-US` where the server has
    /// ICU (Debian's does), so text sorts as an administrator's database might sort it,
    /// not byte by byte: the store must not depend on the database's locale.
    pub fn create_database(&self) -> Result<PgDatabase, String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "kz_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let icu = format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8' \
             LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
        );
        if self.psql(&icu).is_err() {
            self.psql(&format!("CREATE DATABASE {name}"))?;
        }
        Ok(PgDatabase {
            url: format!(
                "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{name}",
                self.password, self.port
            ),
            name,
        })
    }

    /// Runs one SQL command as the superuser in the `postgres` database.
    pub fn psql(&self, sql: &str) -> Result<String, String> {
        let mut cmd = Command::new(self.bin.join("psql"));
        cmd.args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-U",
            SUPERUSER,
        ])
        .args([
            "-p",
            &self.port.to_string(),
            "-d",
            "postgres",
            "-At",
            "-c",
            sql,
        ])
        .env("PGPASSWORD", &self.password)
        .env("PGCONNECT_TIMEOUT", "10");
        let r = run(&mut cmd, None, Duration::from_secs(60))?;
        if r.ok {
            Ok(r.stdout)
        } else {
            Err(format!("psql failed ({}): {}", r.status, r.stderr.trim()))
        }
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's folder (its log is `postgres.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA that signed the server's TLS certificate (PEM).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join(CA_FILE)
    }
}

/// The newest `/usr/lib/postgresql/N/bin` that holds the server.
fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b)
}

fn find_or_install() -> Result<PathBuf, String> {
    if let Some(b) = find_bin() {
        return Ok(b);
    }
    if process::euid() != 0 || process::which("apt-get").is_none() {
        return Err(
            "PostgreSQL is not installed and cannot be installed here (needs root and \
             apt-get); install the Debian package postgresql"
                .into(),
        );
    }
    crate::apt_install(PACKAGES)?;
    find_bin().ok_or_else(|| "apt-get installed postgresql but no server binary is there".into())
}

/// uid and gid of the `postgres` account.
fn postgres_account() -> Result<(u32, u32), String> {
    let name = std::ffi::CString::new("postgres").expect("static name");
    // SAFETY: getpwnam returns a pointer to static storage or NULL; read at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return Err("there is no postgres account (the Debian package creates it)".into());
    }
    // SAFETY: non-null, just returned.
    Ok(unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
}

fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    use std::io::Read;
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Removes folders of earlier runs whose server is gone.
fn remove_stale() {
    let Ok(rd) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let pidfile = e.path().join("data/postmaster.pid");
        let live = fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.lines().next()?.trim().parse::<i32>().ok())
            .is_some_and(|pid| process::alive(pid) && process::cmdline(pid).contains("postgres"));
        if !live {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn start() -> Result<PgServer, String> {
    let bin = find_or_install()?;
    remove_stale();
    let root = process::euid() == 0;
    let account = if root {
        Some(postgres_account()?)
    } else {
        None
    };
    let dir = tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir()
        .map_err(|e| format!("temporary folder: {e}"))?
        .keep();
    let password = random_hex(16)?;
    let pwfile = dir.join("pwfile");
    {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&pwfile)
            .map_err(|e| format!("{}: {e}", pwfile.display()))?;
        f.write_all(password.as_bytes())
            .map_err(|e| format!("{}: {e}", pwfile.display()))?;
    }
    if let Some((uid, gid)) = account {
        for p in [&dir, &pwfile] {
            std::os::unix::fs::chown(p, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", p.display()))?;
        }
    }
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
    let data = dir.join("data");
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .current_dir(&dir);
    if let Some((uid, gid)) = account {
        initdb.uid(uid).gid(gid);
    }
    let r = run(&mut initdb, None, Duration::from_secs(120))?;
    let _ = fs::remove_file(&pwfile);
    if !r.ok {
        return Err(format!(
            "initdb failed ({}): {}",
            r.status,
            process::tail(&r.stderr, 10)
        ));
    }
    write_tls_files(&dir, account)?;
    let mut last = String::new();
    for _ in 0..3 {
        let port = free_port()?;
        match launch(&bin, &dir, &data, port, account) {
            Ok(()) => {
                return Ok(PgServer {
                    bin,
                    dir,
                    port,
                    password,
                });
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A CA, and a server certificate it signed for `localhost` and 127.0.0.1, into `dir`:
/// the key readable by the server's account only, as PostgreSQL demands.
fn write_tls_files(dir: &Path, account: Option<(u32, u32)>) -> Result<(), String> {
    let e = |e: rcgen::Error| format!("test certificates: {e}");
    let ca_key = rcgen::KeyPair::generate().map_err(e)?;
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "kizuna test CA");
    let ca_cert = ca.self_signed(&ca_key).map_err(e)?;
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().map_err(e)?;
    let server = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(e)?
        .signed_by(&key, &issuer)
        .map_err(e)?;
    let write = |name: &str, text: String, mode: u32| -> Result<(), String> {
        use std::io::Write;
        let path = dir.join(name);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        f.write_all(text.as_bytes())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some((uid, gid)) = account {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", path.display()))?;
        }
        Ok(())
    };
    write(CA_FILE, ca_cert.pem(), 0o644)?;
    write("server.crt", server.pem(), 0o644)?;
    write("server.key", key.serialize_pem(), 0o600)
}

/// Starts `postgres` on `port` from a thread that lives as long as the process (the
/// parent-death signal is tied to the thread that forked), and waits until it is ready.
fn launch(
    bin: &Path,
    dir: &Path,
    data: &Path,
    port: u16,
    account: Option<(u32, u32)>,
) -> Result<(), String> {
    let log = fs::File::create(dir.join("postgres.log")).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(bin.join("postgres"));
    cmd.arg("-D")
        .arg(data)
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
        .arg(dir)
        .args([
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
            "-c",
            "ssl=on",
            "-c",
        ])
        .arg(format!(
            "ssl_cert_file={}",
            dir.join("server.crt").display()
        ))
        .arg("-c")
        .arg(format!("ssl_key_file={}", dir.join("server.key").display()))
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    if let Some((uid, gid)) = account {
        cmd.uid(uid).gid(gid);
    }
    // SAFETY: prctl and getppid are async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("kizuna-testbed-postgres".into())
        .spawn(move || {
            let child = cmd.spawn();
            let ok = child.is_ok();
            let _ = tx.send(child.map(|c| c.id()).map_err(|e| e.to_string()));
            if ok {
                loop {
                    std::thread::park();
                }
            }
        })
        .map_err(|e| e.to_string())?;
    let pid = rx
        .recv()
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot start postgres: {e}"))? as i32;
    let ready = process::wait_until(Duration::from_secs(60), || {
        !process::alive(pid)
            || (fs::read_to_string(data.join("postmaster.pid"))
                .is_ok_and(|t| t.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
                && TcpStream::connect(("127.0.0.1", port)).is_ok())
    });
    if ready && process::alive(pid) {
        return Ok(());
    }
    let text = fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
    if process::alive(pid) {
        process::signal(pid, libc::SIGQUIT);
    }
    Err(format!(
        "postgres did not become ready on port {port}: {}",
        process::tail(&text, 10)
    ))
}
