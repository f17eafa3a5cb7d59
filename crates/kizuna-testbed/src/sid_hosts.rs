//! Windows-like hosts with chosen machine SIDs, for tests of a remote SID scan: standalone
//! Samba servers (smbd + samba-dcerpcd), each in a network namespace this module creates,
//! reachable from the test on 10.231.0.0/24 over veth pairs. Two share one SID (a clone
//! pair), one has its own, one address has no SMB server (port 445 closed: refused at once),
//! and one address belongs to nobody (no ARP answer: silent until a timeout).
//!
//! Samba's standalone lsarpc answers LsarQueryInformationPolicy (opnum 7) with the host's
//! local SID (`net setlocalsid`), as Windows answers PsGetSid. Each daemon runs in its
//! namespace's own mount namespace with `/run/samba` replaced by a folder of its own, so it
//! never dials another Samba's winbindd (a Samba AD DC of the other tests, say).
//!
//! One set at a time per machine (a `flock` held while it lives); a set left by a crashed
//! test is removed by the next one, by its namespaces, whose processes are all ours. Only
//! recorded processes are signalled.

use std::fs::{self, File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{self, run};

const PACKAGES: &[&str] = &["samba", "smbclient", "iproute2"];
const DCERPCD: &str = "/usr/libexec/samba/samba-dcerpcd";
const LOCK: &str = "/tmp/kizuna-sid-hosts.lock";
const NET: &str = "10.231.0";
/// Namespace names: `kzsid1`, `kzsid2`, …; host-side veth ends `vkzsid1`, ….
const PREFIX: &str = "kzsid";
/// The local account's password on every host (`root`); a throwaway, not a secret.
pub const PASSWORD: &str = "Kz-sidlab-0wn3d!";
pub const USER: &str = "root";
pub const WORKGROUP: &str = "SIDLAB";

/// One host of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidHost {
    /// Its NetBIOS name (`SIDHOST1`).
    pub name: String,
    pub ip: String,
    pub sid: String,
}

/// The running set; dropping it stops the daemons and removes the namespaces.
pub struct SidHosts {
    pub hosts: Vec<SidHost>,
    /// An address whose namespace runs no SMB server: connections are refused.
    pub closed: String,
    /// An address nobody owns: connections get no answer.
    pub silent: String,
    dir: tempfile::TempDir,
    /// The daemons we started, waited for when stopped (no zombie is left).
    daemons: Vec<std::process::Child>,
    namespaces: Vec<String>,
    _lock: File,
}

/// Where the i-th /30 puts the host side (`.1`, `.5`, …) and the namespace side (`.2`, `.6`, …).
fn addresses(i: usize) -> (String, String) {
    (
        format!("{NET}.{}", (i - 1) * 4 + 1),
        format!("{NET}.{}", (i - 1) * 4 + 2),
    )
}

fn ip(args: &[&str]) -> Result<(), String> {
    let r = run(Command::new("ip").args(args), None, Duration::from_secs(20))?;
    if r.ok {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), r.stderr.trim()))
    }
}

fn lock() -> Result<File, String> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(LOCK)
        .map_err(|e| format!("{LOCK}: {e}"))?;
    let t = Instant::now();
    loop {
        // SAFETY: flock(2) on a descriptor we own; the kernel releases it when we die.
        let got = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if got {
            return Ok(f);
        }
        if t.elapsed() > Duration::from_secs(600) {
            return Err(format!("{LOCK} stayed locked for 10 minutes"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Removes a set left behind by a test that died: kills what runs in our namespaces (no
/// one else's process can be in them) and deletes them.
fn remove_leftovers() -> Result<(), String> {
    let r = run(
        Command::new("ip").args(["netns", "list"]),
        None,
        Duration::from_secs(20),
    )?;
    for line in r.stdout.lines() {
        let Some(ns) = line.split_whitespace().next() else {
            continue;
        };
        if !ns.starts_with(PREFIX) {
            continue;
        }
        let pids = run(
            Command::new("ip").args(["netns", "pids", ns]),
            None,
            Duration::from_secs(20),
        )?;
        for pid in pids
            .stdout
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
        {
            process::signal(pid, libc::SIGKILL);
        }
        let _ = ip(&["netns", "del", ns]);
    }
    Ok(())
}

impl SidHosts {
    /// Starts the set: `sids[i]` is the machine SID of host i + 1 (give two equal ones for
    /// a clone pair). Needs root; installs Samba with apt-get when missing.
    pub fn start(sids: &[&str]) -> Result<SidHosts, String> {
        Self::start_with_password(sids, PASSWORD)
    }

    /// [`SidHosts::start`] with `password` for the hosts' account, which answers to `root`
    /// and to `Administrator` (a username map), in any domain (a standalone server ignores
    /// it): the account and password of a domain's administrator then sign in to them as
    /// to the domain's members.
    pub fn start_with_password(sids: &[&str], password: &str) -> Result<SidHosts, String> {
        if process::euid() != 0 {
            return Err("the SID hosts need root (network namespaces, port 445)".into());
        }
        for tool in ["smbd", "rpcclient", "net", "smbpasswd", "ip"] {
            crate::find_or_install(tool, PACKAGES)?;
        }
        if !Path::new(DCERPCD).exists() {
            return Err(format!(
                "{DCERPCD} is missing (Samba 4.16 or newer is needed)"
            ));
        }
        let lock = lock()?;
        remove_leftovers()?;
        let dir = tempfile::Builder::new()
            .prefix("kizuna-sid-hosts-")
            .tempdir_in("/tmp")
            .map_err(|e| format!("creating a folder: {e}"))?;
        let mut set = SidHosts {
            hosts: Vec::new(),
            closed: String::new(),
            silent: String::new(),
            dir,
            daemons: Vec::new(),
            namespaces: Vec::new(),
            _lock: lock,
        };
        let t = Instant::now();
        // hosts 1..=n serve SMB; n+1 has a namespace with no server; n+2's address is unowned
        for (i, sid) in sids.iter().enumerate() {
            set.host(i + 1, sid, password)?;
        }
        let closed = sids.len() + 1;
        set.namespace(closed, true)?;
        set.closed = addresses(closed).1;
        let silent = sids.len() + 2;
        set.namespace(silent, false)?;
        set.silent = addresses(silent).1;
        for h in &set.hosts {
            set.wait_ready(h)?;
        }
        eprintln!(
            "kizuna-testbed: {} SID hosts up in {:.1} s ({})",
            set.hosts.len(),
            t.elapsed().as_secs_f64(),
            set.dir.path().display()
        );
        Ok(set)
    }

    /// Namespace `kzsid{i}` with a veth to it; `own_address`: whether its end holds the
    /// address (else nobody answers for it).
    fn namespace(&mut self, i: usize, own_address: bool) -> Result<String, String> {
        let ns = format!("{PREFIX}{i}");
        let veth = format!("v{PREFIX}{i}");
        let (outer, inner) = addresses(i);
        ip(&["netns", "add", &ns])?;
        self.namespaces.push(ns.clone());
        ip(&[
            "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns,
        ])?;
        ip(&["addr", "add", &format!("{outer}/30"), "dev", &veth])?;
        ip(&["link", "set", &veth, "up"])?;
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        if own_address {
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{inner}/30"),
                "dev",
                "eth0",
            ])?;
        }
        ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        Ok(ns)
    }

    fn host(&mut self, i: usize, sid: &str, password: &str) -> Result<(), String> {
        let name = format!("SIDHOST{i}");
        let h = self.dir.path().join(format!("h{i}"));
        for sub in [
            "private", "lock", "state", "cache", "run", "log", "runsamba", "share",
        ] {
            fs::create_dir_all(h.join(sub)).map_err(|e| format!("{}: {e}", h.display()))?;
        }
        let (_, address) = addresses(i);
        let conf = h.join("smb.conf");
        let d = |s: &str| h.join(s).display().to_string();
        fs::write(
            &conf,
            format!(
                "[global]\n\tnetbios name = {name}\n\tworkgroup = {WORKGROUP}\n\
                 \tserver role = standalone server\n\tinterfaces = {address}/30\n\
                 \tbind interfaces only = no\n\tsmb ports = 445\n\tdisable netbios = yes\n\
                 \tprivate dir = {}\n\tlock directory = {}\n\tstate directory = {}\n\
                 \tcache directory = {}\n\tpid directory = {}\n\tncalrpc dir = {}/ncalrpc\n\
                 \tlog file = {}/log.%m\n\tpassdb backend = tdbsam\n\trestrict anonymous = 0\n\
                 \tload printers = no\n\tprintcap name = /dev/null\n\tdisable spoolss = yes\n\
                 \trpc start on demand helpers = no\n\tusername map = {}\n[share]\n\tpath = {}\n\tread only = yes\n",
                d("private"),
                d("lock"),
                d("state"),
                d("cache"),
                d("run"),
                d("run"),
                d("log"),
                d("usermap"),
                d("share")
            ),
        )
        .map_err(|e| format!("{}: {e}", conf.display()))?;
        fs::write(h.join("usermap"), format!("{USER} = Administrator\n"))
            .map_err(|e| format!("{}: {e}", h.display()))?;
        let conf_s = conf.display().to_string();
        let r = run(
            Command::new("net").args(["-s", &conf_s, "setlocalsid", sid]),
            None,
            Duration::from_secs(30),
        )?;
        if !r.ok {
            return Err(format!("net setlocalsid {sid}: {}{}", r.stdout, r.stderr));
        }
        let input = format!("{password}\n{password}\n");
        let r = run(
            Command::new("smbpasswd").args(["-c", &conf_s, "-a", "-s", USER]),
            Some(input.as_bytes()),
            Duration::from_secs(30),
        )?;
        if !r.ok {
            return Err(format!("smbpasswd: {}", r.stderr.trim()));
        }
        let ns = self.namespace(i, true)?;
        let runsamba = h.join("runsamba");
        let dcerpcd = self.daemon(
            &ns,
            &runsamba,
            &h.join("log/dcerpcd.out"),
            &[
                DCERPCD,
                "-s",
                &conf_s,
                "-F",
                "--no-process-group",
                "--libexec-rpcds",
            ],
        )?;
        self.daemons.push(dcerpcd);
        let smbd = self.daemon(
            &ns,
            &runsamba,
            &h.join("log/smbd.out"),
            &["smbd", "-s", &conf_s, "-F", "--no-process-group"],
        )?;
        self.daemons.push(smbd);
        self.hosts.push(SidHost {
            name,
            ip: address,
            sid: sid.to_string(),
        });
        Ok(())
    }

    /// Starts `argv` in namespace `ns` with `/run/samba` replaced by `runsamba` (`ip netns
    /// exec`, `sh` and `setsid` all exec in place, so the child is the daemon itself).
    fn daemon(
        &self,
        ns: &str,
        runsamba: &Path,
        log: &Path,
        argv: &[&str],
    ) -> Result<std::process::Child, String> {
        fs::create_dir_all("/run/samba").map_err(|e| format!("/run/samba: {e}"))?;
        let out = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new("ip")
            .args(["netns", "exec", ns, "sh", "-c"])
            .arg("mount --bind \"$0\" /run/samba && exec setsid \"$@\"")
            .arg(runsamba)
            .args(argv)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", argv[0]))?;
        Ok(child)
    }

    fn wait_ready(&self, h: &SidHost) -> Result<(), String> {
        let t = Instant::now();
        loop {
            let r = run(
                Command::new("rpcclient").args(["-U%", "-c", "lsaquery 5", &h.ip]),
                None,
                Duration::from_secs(5),
            );
            if let Ok(r) = &r
                && r.ok
                && r.stdout.contains(&h.sid)
            {
                return Ok(());
            }
            if t.elapsed() > Duration::from_secs(30) {
                let log =
                    fs::read_to_string(self.dir.path().join("h1/log/smbd.out")).unwrap_or_default();
                return Err(format!(
                    "{} ({}) did not answer lsaquery within 30 s: {:?}\n{}",
                    h.name,
                    h.ip,
                    r.map(|r| r.stderr),
                    process::tail(&log, 10)
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Gives every host `per_host` more addresses (host H's are `10.(232+H).x.y`, routed
    /// to its namespace, where smbd listens on every address) and routes as many to the
    /// silent namespace, where nobody owns them: a benchmark's thousands of distinct
    /// targets. Returns (answering, silent) addresses. Gone with the set.
    pub fn add_aliases(&self, per_host: usize) -> Result<(Vec<String>, Vec<String>), String> {
        if per_host == 0 || per_host > 254 * 250 {
            return Err(format!("{per_host} aliases per host: 1 to {}", 254 * 250));
        }
        let (mut answering, mut silent) = (Vec::new(), Vec::new());
        let silent_ns = self.hosts.len() + 2;
        for i in (1..=self.hosts.len()).chain([silent_ns]) {
            let ns = format!("{PREFIX}{i}");
            let (_, inner) = addresses(i);
            let net = 232 + i;
            if net > 254 {
                return Err("too many hosts for alias networks".into());
            }
            ip(&["route", "add", &format!("10.{net}.0.0/16"), "via", &inner])?;
            let mut batch = String::new();
            for a in 0..per_host {
                let addr = format!("10.{net}.{}.{}", a / 254, a % 254 + 1);
                if i == silent_ns {
                    silent.push(addr);
                } else {
                    batch.push_str(&format!("addr add {addr}/32 dev eth0\n"));
                    answering.push(addr);
                }
            }
            if !batch.is_empty() {
                let r = run(
                    Command::new("ip").args(["-n", &ns, "-batch", "-"]),
                    Some(batch.as_bytes()),
                    Duration::from_secs(300),
                )?;
                if !r.ok {
                    return Err(format!("ip -n {ns} -batch: {}", r.stderr.trim()));
                }
            }
        }
        Ok((answering, silent))
    }

    /// Makes host `i` (0-based) refuse null sessions from now on, as Windows does
    /// (`restrict anonymous = 2`; each new connection's smbd reads the changed file).
    pub fn refuse_anonymous(&self, i: usize) -> Result<(), String> {
        let conf = self.dir.path().join(format!("h{}/smb.conf", i + 1));
        let text = fs::read_to_string(&conf).map_err(|e| format!("{}: {e}", conf.display()))?;
        let changed = text.replace("restrict anonymous = 0", "restrict anonymous = 2");
        fs::write(&conf, changed).map_err(|e| format!("{}: {e}", conf.display()))
    }

    /// The folder holding the hosts' configuration and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `rpcclient -U% -c 'lsaquery 5' IP`: Samba's own client's answer, for comparison.
    pub fn rpcclient_lsaquery(ip: &str) -> Result<String, String> {
        let r = run(
            Command::new("rpcclient").args(["-U%", "-c", "lsaquery 5", ip]),
            None,
            Duration::from_secs(10),
        )?;
        if r.ok { Ok(r.stdout) } else { Err(r.stderr) }
    }
}

impl Drop for SidHosts {
    fn drop(&mut self) {
        for child in self.daemons.iter_mut().rev() {
            // still our child (not yet waited for), so the pid cannot have been reused
            let pid = child.id() as i32;
            if matches!(child.try_wait(), Ok(None)) {
                process::signal(pid, libc::SIGTERM);
                if !process::wait_until(Duration::from_secs(10), || {
                    matches!(child.try_wait(), Ok(Some(_)))
                }) {
                    let _ = child.kill();
                }
            }
            let _ = child.wait();
        }
        // whatever the daemons forked (rpcd_* workers) lives in the namespaces, which are ours
        let _ = remove_leftovers();
        for ns in &self.namespaces {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{SocketAddr, TcpStream};

    const A: &str = "S-1-5-21-1111111111-2222222222-3333333333";
    const B: &str = "S-1-5-21-1111111111-2222222222-3333333334";

    #[test]
    fn hosts_answer_with_their_sids_and_the_others_do_not_answer() {
        let set = SidHosts::start(&[A, A, B]).unwrap();
        assert_eq!(set.hosts.len(), 3);
        for h in &set.hosts {
            let said = SidHosts::rpcclient_lsaquery(&h.ip).unwrap();
            assert!(said.contains(&h.sid) && said.contains(&h.name), "{said}");
        }
        let connect = |ip: &str| {
            let addr: SocketAddr = format!("{ip}:445").parse().unwrap();
            let t = Instant::now();
            (
                TcpStream::connect_timeout(&addr, Duration::from_secs(2)),
                t.elapsed(),
            )
        };
        let (closed, took) = connect(&set.closed);
        assert_eq!(
            closed.unwrap_err().kind(),
            std::io::ErrorKind::ConnectionRefused
        );
        assert!(took < Duration::from_secs(1), "{took:?}");
        let (silent, took) = connect(&set.silent);
        assert!(silent.is_err());
        assert!(took >= Duration::from_secs(1), "answered in {took:?}");
        let names: Vec<String> = set.namespaces.clone();
        drop(set);
        let r = run(
            Command::new("ip").args(["netns", "list"]),
            None,
            Duration::from_secs(20),
        )
        .unwrap();
        for ns in names {
            assert!(
                !r.stdout.split_whitespace().any(|w| w == ns),
                "{ns} left behind"
            );
        }
    }
}
