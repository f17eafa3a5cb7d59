//! The machine-wide lock: one DC at a time, because smbd always dials winbindd at the compiled-in
//! /run/samba/winbindd/pipe (samba.md §1), and every DC binds the same 127.0.0.2 ports.
//!
//! flock(2) is released by the kernel when the holder dies, so a crashed test never blocks the next
//! one. The holder writes what it started into the file; a new holder that finds such a record knows
//! the previous one died without cleaning up, and cleans up for it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) const LOCK_PATH: &str = "/tmp/kizuna-testbed.lock";

/// What a previous holder recorded: its samba root process and state dir.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Record {
    pub holder: Option<i32>,
    pub samba: Option<(i32, u64)>,
    pub dir: Option<PathBuf>,
}

impl Record {
    fn parse(text: &str) -> Record {
        let mut r = Record::default();
        for line in text.lines() {
            let mut it = line.splitn(2, ' ');
            match (it.next(), it.next()) {
                (Some("holder"), Some(v)) => r.holder = v.trim().parse().ok(),
                (Some("samba"), Some(v)) => {
                    let mut f = v.split_whitespace().map(str::parse::<u64>);
                    if let (Some(Ok(p)), Some(Ok(s))) = (f.next(), f.next()) {
                        r.samba = i32::try_from(p).ok().map(|p| (p, s));
                    }
                }
                (Some("dir"), Some(v)) => r.dir = Some(PathBuf::from(v)),
                _ => {}
            }
        }
        r
    }
}

pub(crate) struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    /// Waits up to `limit` for the lock; returns it with the record a dead holder left (if any).
    pub(crate) fn acquire(limit: Duration) -> Result<(Lock, Record), String> {
        Lock::acquire_at(Path::new(LOCK_PATH), limit)
    }

    fn acquire_at(path: &Path, limit: Duration) -> Result<(Lock, Record), String> {
        let shown = path.display();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| format!("cannot open {shown}: {e}"))?;
        let t0 = Instant::now();
        loop {
            // SAFETY: flock on a descriptor we own.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc == 0 {
                break;
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(format!("flock {shown}: {err}"));
            }
            if t0.elapsed() >= limit {
                let holder = std::fs::read_to_string(path)
                    .map(|t| Record::parse(&t).holder)
                    .ok()
                    .flatten()
                    .map_or("unknown".to_string(), |p| p.to_string());
                return Err(format!(
                    "another kizuna testbed DC is running (lock {shown} held by pid {holder}) \
                     and did not stop within {} s; only one DC can run per machine. Share one \
                     SambaDc per test binary, or set KIZUNA_TESTBED_LOCK_WAIT_SECS",
                    limit.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let mut lock = Lock {
            file,
            path: path.to_path_buf(),
        };
        let mut text = String::new();
        lock.file
            .read_to_string(&mut text)
            .map_err(|e| format!("reading {shown}: {e}"))?;
        let stale = Record::parse(&text);
        lock.write(&format!("holder {}\n", std::process::id()))?;
        Ok((lock, stale))
    }

    fn write(&mut self, text: &str) -> Result<(), String> {
        let f = &mut self.file;
        f.set_len(0)
            .and_then(|_| f.seek(SeekFrom::Start(0)))
            .and_then(|_| f.write_all(text.as_bytes()))
            .and_then(|_| f.sync_data())
            .map_err(|e| format!("writing {}: {e}", self.path.display()))
    }

    /// Remembers what we started, for whoever takes the lock next if we die without stopping it.
    pub(crate) fn record(&mut self, samba: Option<(i32, u64)>, dir: &Path) -> Result<(), String> {
        let mut text = format!("holder {}\n", std::process::id());
        if let Some((pid, start)) = samba {
            text.push_str(&format!("samba {pid} {start}\n"));
        }
        text.push_str(&format!("dir {}\n", dir.display()));
        self.write(&text)
    }

    /// Everything we started is gone: nothing for the next holder to clean.
    pub(crate) fn clear(&mut self) -> Result<(), String> {
        self.write("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let r = Record::parse("holder 12\nsamba 345 6789\ndir /tmp/kizuna-testbed-x\n");
        assert_eq!(r.holder, Some(12));
        assert_eq!(r.samba, Some((345, 6789)));
        assert_eq!(r.dir.as_deref(), Some(Path::new("/tmp/kizuna-testbed-x")));
        assert_eq!(Record::parse(""), Record::default());
    }

    #[test]
    fn second_holder_waits_then_sees_what_a_dead_holder_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let (mut first, stale) = Lock::acquire_at(&path, Duration::ZERO).unwrap();
        assert_eq!(stale, Record::default());
        first
            .record(Some((4242, 99)), Path::new("/tmp/kizuna-testbed-zz"))
            .unwrap();
        // flock locks belong to the open file description: a second open conflicts even in-process.
        let e = Lock::acquire_at(&path, Duration::from_millis(300))
            .err()
            .unwrap();
        assert!(
            e.contains(&format!("held by pid {}", std::process::id())),
            "{e}"
        );
        drop(first); // like a holder that died without clear()
        let (mut second, stale) = Lock::acquire_at(&path, Duration::ZERO).unwrap();
        assert_eq!(stale.samba, Some((4242, 99)));
        assert_eq!(
            stale.dir.as_deref(),
            Some(Path::new("/tmp/kizuna-testbed-zz"))
        );
        second.clear().unwrap();
        drop(second);
        let (_third, stale) = Lock::acquire_at(&path, Duration::ZERO).unwrap();
        assert_eq!(stale, Record::default());
    }
}
