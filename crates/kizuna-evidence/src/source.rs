//! From paths to facts: walking folders, opening archives, fingerprinting, dispatching
//! each input to its reader, in parallel across files, with a bounded hand-off to the
//! single consumer (the store).

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use chrono::Datelike;
use kizuna_core::{
    DeviceName, DeviceRole, IdentityRecord, IdentitySource, Knowledge, MachineSid, OsBuild,
    SourceRef,
};
use sha2::{Digest, Sha256};

use crate::hive;
use crate::limits::{Limits, UnpackAllowance, Unpacking, unsafe_member_name};
use crate::netlogon::{NetlogonContext, read_netlogon};
use crate::sniff::{Sniffed, sniff};
use crate::text::SNIFF_LEN;
use crate::text::text_reader;
use crate::{
    EvtxOptions, EvtxPath, Progress, YearSource, read_event_json, read_event_xml, read_evtx,
    read_inventory_csv, read_inventory_json, read_psgetsid,
};
use kizuna_core::{Fact, FactSource, Ingest, InputKind, InputReport, Timestamp};

/// Facts are handed to the consumer in batches of this size.
const BATCH: usize = 2048;

/// Options for reading evidence.
#[derive(Clone)]
pub struct ReadOptions {
    /// Files read at once, and EVTX chunk threads for a single file.
    pub threads: usize,
    /// The year for netlogon.log lines (else the file's modification time).
    pub year: Option<i32>,
    pub knowledge: Arc<Knowledge>,
    /// Which EVTX records are rendered (the pre-filter unless asked otherwise).
    pub evtx: EvtxPath,
    /// Advanced as files and records are read (a progress display reads it).
    pub progress: Arc<Progress>,
    /// How far archives are unpacked.
    pub limits: Limits,
    /// When each input's fingerprint is taken.
    pub fingerprint: Fingerprint,
    /// One allowance for every input of the read (the files of one upload), nested
    /// archives included, in place of [`Limits::max_unpacked`] for each input. `None`:
    /// each input may unpack `limits.max_unpacked` bytes of its own. Clones of these
    /// options share the allowance: give each read a new one.
    pub shared_unpack: Option<UnpackAllowance>,
}

enum Msg {
    Known {
        fingerprint: String,
        reply: SyncSender<Option<InputReport>>,
    },
    Facts(String, Vec<Fact>),
    Done(InputReport),
}

/// Evidence files to read, with the options to read them by: what the use cases take
/// (as a [`FactSource`]) to fill a store.
#[derive(Clone)]
pub struct Files {
    /// Each file with the name it is shown under.
    files: Vec<(PathBuf, String)>,
    /// Files and folders to walk, shown as given.
    paths: Vec<PathBuf>,
    options: ReadOptions,
}

impl Files {
    /// Files and folders as the user named them (folders are walked).
    pub fn paths(paths: Vec<PathBuf>, options: ReadOptions) -> Files {
        Files {
            files: Vec::new(),
            paths,
            options,
        }
    }

    /// Files each shown under a name of its own, not its path: the server keeps an
    /// upload in a scratch folder but reports it under the name the collector sent.
    pub fn named(files: Vec<(PathBuf, String)>, options: ReadOptions) -> Files {
        Files {
            files,
            paths: Vec::new(),
            options,
        }
    }

    /// The options the files are read by.
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }
}

impl FactSource for Files {
    fn read_into<S: Ingest>(&self, sink: &mut S) -> Result<(), S::Error> {
        let mut files = self.files.clone();
        for p in &self.paths {
            walk(p, &mut files, sink)?;
        }
        ingest_files(files, &self.options, sink)
    }
}

/// Reads every input under `paths` and hands the results to `sink`. Damaged inputs never
/// stop the run: each becomes part of an input's report. Only the sink's error stops it.
pub fn ingest_paths<S: Ingest>(
    paths: &[PathBuf],
    opts: &ReadOptions,
    sink: &mut S,
) -> Result<(), S::Error> {
    Files::paths(paths.to_vec(), opts.clone()).read_into(sink)
}

/// Reads files each shown under a name of its own (see [`Files::named`]).
pub fn ingest_files<S: Ingest>(
    mut files: Vec<(PathBuf, String)>,
    opts: &ReadOptions,
    sink: &mut S,
) -> Result<(), S::Error> {
    files.sort();
    files.dedup();
    if files.is_empty() {
        return Ok(());
    }
    let bytes: u64 = files
        .iter()
        .filter_map(|(p, _)| p.metadata().ok())
        .map(|m| m.len())
        .sum();
    opts.progress.found(files.len() as u64, bytes);
    let workers = opts.threads.clamp(1, files.len());
    let inner_threads = if files.len() == 1 {
        opts.threads.max(1)
    } else {
        1
    };
    let queue = Arc::new(Mutex::new(files.into_iter()));
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = sync_channel::<Msg>(16);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let queue = queue.clone();
            let stop = stop.clone();
            let tx = tx.clone();
            let opts = opts.clone();
            scope.spawn(move || {
                let worker = Worker {
                    tx,
                    opts,
                    inner_threads,
                };
                while !stop.load(Ordering::Relaxed) {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some((path, display)) = next else { break };
                    worker.file(&path, display);
                    let size = path.metadata().map_or(0, |m| m.len());
                    worker.opts.progress.file_done(size);
                }
            });
        }
        drop(tx);
        let done = consume(&rx, sink, &opts.progress);
        if done.is_err() {
            // Workers start no new file; the one at work finds the channel closed.
            stop.store(true, Ordering::Relaxed);
        }
        drop(rx);
        done
    })
}

fn consume<S: Ingest>(
    rx: &Receiver<Msg>,
    sink: &mut S,
    progress: &Progress,
) -> Result<(), S::Error> {
    for msg in rx {
        match msg {
            Msg::Known { fingerprint, reply } => {
                let _ = reply.send(sink.known(&fingerprint)?);
            }
            Msg::Facts(fp, facts) => sink.facts(&fp, facts)?,
            Msg::Done(report) => {
                progress.input_done(report.records);
                sink.finish(report)?
            }
        }
    }
    Ok(())
}

fn walk<S: Ingest>(
    p: &Path,
    files: &mut Vec<(PathBuf, String)>,
    sink: &mut S,
) -> Result<(), S::Error> {
    let display = |p: &Path| p.to_string_lossy().into_owned();
    if p.is_file() {
        files.push((p.to_path_buf(), display(p)));
        return Ok(());
    }
    if !p.exists() {
        let mut r = InputReport::new(display(p), InputKind::Unknown, String::new(), 0);
        r.error("no such file or folder");
        r.settle();
        return sink.finish(r);
    }
    for entry in walkdir::WalkDir::new(p)
        .follow_links(false)
        .sort_by_file_name()
    {
        match entry {
            // Symbolic links to files are followed; links to folders are not (no loops).
            Ok(e) if e.file_type().is_file() || (e.path_is_symlink() && e.path().is_file()) => {
                let shown = match e.path().strip_prefix(p) {
                    Ok(rel) => shown_under(&display(p), rel),
                    Err(_) => display(e.path()),
                };
                files.push((e.path().to_path_buf(), shown))
            }
            Ok(_) => {}
            Err(err) => {
                let where_ = err.path().map(display).unwrap_or_else(|| display(p));
                let mut r = InputReport::new(where_, InputKind::Unknown, String::new(), 0);
                r.error(format!("cannot read: {err}"));
                r.settle();
                sink.finish(r)?;
            }
        }
    }
    Ok(())
}

/// How a file found in the folder `root` is shown: the folder as the user typed it, then
/// the rest joined with the separator the user typed. Windows takes both `\` and `/`:
/// `/corpus` shows `/corpus/a.evtx` there as on Linux, and `\\fs\logs` shows
/// `\\fs\logs\dc1\a.evtx`, never a mix.
fn shown_under(root: &str, rel: &Path) -> String {
    let sep = if cfg!(windows) && (root.contains('\\') || !root.contains('/')) {
        '\\'
    } else {
        '/'
    };
    let mut shown = root.to_string();
    for part in rel.components() {
        let at_separator = if cfg!(windows) {
            shown.ends_with(['/', '\\'])
        } else {
            shown.ends_with('/')
        };
        if !shown.is_empty() && !at_separator {
            shown.push(sep);
        }
        shown.push_str(&part.as_os_str().to_string_lossy());
    }
    shown
}

struct Worker {
    tx: SyncSender<Msg>,
    opts: ReadOptions,
    inner_threads: usize,
}

/// An input to read: an open file (maybe a temporary one holding decompressed data).
struct Blob {
    file: File,
    /// The path shown to the user.
    display: String,
    /// Folder names around the input, innermost first, to name the device it came from.
    folders: Vec<String>,
    /// The file's modification time (files on disk only: archive members' times carry no
    /// zone).
    modified: Option<Timestamp>,
    /// Fingerprint computed while decompressing, if any.
    fingerprint: Option<String>,
    notes: Vec<String>,
    depth: usize,
    /// The file on disk this blob is (or decompresses from): hives are read by path,
    /// with their transaction logs beside them. `None` for archive members.
    origin: Option<PathBuf>,
    /// Bytes the input given (or the whole read) may still unpack to, shared by
    /// everything nested in it.
    unpack_left: UnpackAllowance,
}

impl Worker {
    fn send(&self, msg: Msg) {
        // The consumer only goes away when the whole run ends.
        let _ = self.tx.send(msg);
    }

    fn fail(&self, display: String, msg: String) {
        let mut r = InputReport::new(display, InputKind::Unknown, String::new(), 0);
        r.error(msg);
        r.settle();
        self.send(Msg::Done(r));
    }

    fn file(&self, path: &Path, display: String) {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return self.fail(display, format!("cannot open: {e}")),
        };
        let modified = file
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .map(chrono::DateTime::<chrono::Utc>::from);
        let folders = path
            .parent()
            .map(|p| {
                p.components()
                    .rev()
                    .filter_map(|c| match c {
                        std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.blob(Blob {
            file,
            display,
            folders,
            modified,
            fingerprint: None,
            notes: Vec::new(),
            depth: 0,
            origin: Some(path.to_path_buf()),
            unpack_left: self
                .opts
                .shared_unpack
                .clone()
                .unwrap_or_else(|| UnpackAllowance::per_input(self.opts.limits.max_unpacked)),
        });
    }

    fn blob(&self, mut b: Blob) {
        let mut head = Vec::with_capacity(SNIFF_LEN);
        if let Err(e) = (&mut b.file).take(SNIFF_LEN as u64).read_to_end(&mut head) {
            return self.fail(b.display, format!("offset 0: read error: {e}"));
        }
        if b.file.seek(SeekFrom::Start(0)).is_err() {
            return self.fail(b.display, "cannot seek".into());
        }
        match sniff(&head) {
            Sniffed::Gzip => self.decompressed(b, "gzip", |f| {
                Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(f)))
            }),
            Sniffed::Xz => self.decompressed(b, "xz", |f| {
                Box::new(xz2::read::XzDecoder::new_multi_decoder(BufReader::new(f)))
            }),
            Sniffed::Zip => self.zip(b),
            Sniffed::Kind(kind) => self.read(b, kind),
            Sniffed::Hive => self.hive(b),
        }
    }

    /// Refuses to open an archive nested deeper than the limit.
    fn too_deep(&self, b: &Blob) -> bool {
        let max = self.opts.limits.max_nesting;
        if b.depth >= max {
            self.fail(
                b.display.clone(),
                format!("archives nested deeper than {max}; not opened"),
            );
        }
        b.depth >= max
    }

    /// Decompresses to a temporary file (hashing on the way), then reads that; content
    /// whose first bytes are no evidence is reported from them, not decompressed further.
    fn decompressed(&self, b: Blob, what: &str, open: impl FnOnce(File) -> Box<dyn Read>) {
        if self.too_deep(&b) {
            return;
        }
        let packed = b.file.metadata().map_or(0, |m| m.len());
        let mut reader = Unpacking::new(open(b.file), &b.unpack_left, packed, self.opts.limits);
        let unpacked = unpack(&mut reader);
        let mut notes = b.notes;
        notes.push(format!("{what}-compressed"));
        let (tmp, fingerprint) = match unpacked {
            Ok(Unpacked::Spooled(tmp, fingerprint)) => (tmp, fingerprint),
            // Its unpacked size is known only when the head was all of it; else the
            // packed size is reported.
            Ok(Unpacked::NotEvidence { head, whole }) => {
                let size = if whole { head } else { packed };
                return self.not_evidence(b.display, notes, size);
            }
            Err(e) => return self.fail(b.display, format!("{what}: {e}")),
        };
        self.blob(Blob {
            file: tmp,
            display: b.display,
            folders: b.folders,
            modified: b.modified,
            fingerprint: Some(fingerprint),
            notes,
            depth: b.depth + 1,
            origin: b.origin,
            unpack_left: b.unpack_left,
        });
    }

    fn zip(&self, mut b: Blob) {
        if self.too_deep(&b) {
            return;
        }
        let declared = declared_zip_entries(&mut b.file);
        let mut archive = match zip::ZipArchive::new(b.file) {
            Ok(a) => a,
            Err(e) => return self.fail(b.display, format!("zip: {e}")),
        };
        // The zip reader keeps one member per name: say what a repeated name hid.
        if let Some(n) = declared.filter(|&n| n > archive.len() as u64) {
            self.fail(
                b.display.clone(),
                format!(
                    "zip: {n} members under {} names; only one member of each repeated name was read",
                    archive.len()
                ),
            );
        }
        let max = self.opts.limits.max_entries;
        if archive.len() > max {
            return self.fail(
                b.display,
                format!(
                    "zip: {} members, more than the limit of {max}; not opened",
                    archive.len()
                ),
            );
        }
        let mut names: Vec<(String, usize)> = (0..archive.len())
            .filter_map(|i| {
                archive
                    .name_for_index(i)
                    .and_then(|n| n.ok())
                    .map(|n| (n.to_string(), i))
            })
            .collect();
        names.sort();
        for (name, i) in names {
            // Folders: a name ending in a slash or, from some Windows tools, a backslash.
            if name.ends_with(['/', '\\']) {
                continue;
            }
            let display = format!("{}!/{}", b.display, name);
            if let Some(why) = unsafe_member_name(&name) {
                self.fail(display, format!("zip entry: {why}; not read"));
                continue;
            }
            let entry = match archive.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    self.fail(display, format!("zip entry: {e}"));
                    continue;
                }
            };
            if entry.is_symlink() {
                self.fail(
                    display,
                    "zip entry: a symbolic link; links are never followed".into(),
                );
                continue;
            }
            let packed = entry.compressed_size();
            let declared = entry.size();
            let mut reader = Unpacking::new(entry, &b.unpack_left, packed, self.opts.limits);
            let (tmp, fingerprint) = match unpack(&mut reader) {
                Ok(Unpacked::Spooled(tmp, fingerprint)) => (tmp, fingerprint),
                // Not unpacked past its head: the size the zip declares for it.
                Ok(Unpacked::NotEvidence { head, whole }) => {
                    let size = if whole { head } else { declared };
                    self.not_evidence(display, b.notes.clone(), size);
                    continue;
                }
                Err(e) => {
                    self.fail(display, format!("zip entry: {e}"));
                    continue;
                }
            };
            // Folder names name the device (`PC01/System.evtx`); zips made by older .NET
            // (Windows PowerShell's ZipFile before 4.6.1) separate them with `\`.
            let mut folders: Vec<String> = name
                .split(['/', '\\'])
                .rev()
                .skip(1)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            folders.extend(b.folders.iter().cloned());
            self.blob(Blob {
                file: tmp,
                display,
                folders,
                modified: b.modified,
                fingerprint: Some(fingerprint),
                notes: b.notes.clone(),
                depth: b.depth + 1,
                origin: None,
                unpack_left: b.unpack_left.clone(),
            });
        }
    }

    /// A registry hive: read by path with the transaction logs found beside it.
    fn hive(&self, mut b: Blob) {
        let size = b.file.metadata().map(|m| m.len()).unwrap_or(0);
        let logs = b
            .origin
            .as_deref()
            .map(hive::sibling_logs)
            .unwrap_or_default();
        // The logs change what the hive says: they are part of its fingerprint.
        let mut fp = match b.fingerprint.take() {
            Some(f) => f,
            None => match hash_file(&mut b.file) {
                Ok(f) => f,
                Err(e) => return self.fail(b.display, format!("read error: {e}")),
            },
        };
        for log in &logs {
            if let Ok(mut f) = File::open(log)
                && let Ok(h) = hash_file(&mut f)
            {
                fp = hex(&Sha256::digest(format!("{fp}+{h}").as_bytes()));
            }
        }
        if let Some(mut earlier) = self.known(&fp) {
            earlier.path = b.display;
            return self.send(Msg::Done(earlier));
        }
        // Archive members have no path of their own: give them one.
        let spooled;
        let path = match &b.origin {
            Some(p) => p.clone(),
            None => {
                let mut named = match tempfile::NamedTempFile::new() {
                    Ok(n) => n,
                    Err(e) => return self.fail(b.display, format!("temporary file: {e}")),
                };
                if let Err(e) = io::copy(&mut b.file, named.as_file_mut()) {
                    return self.fail(b.display, format!("temporary file: {e}"));
                }
                spooled = named.into_temp_path();
                spooled.to_path_buf()
            }
        };
        let mut report = InputReport::new(b.display.clone(), InputKind::Unknown, fp.clone(), size);
        report.notes = b.notes.clone();
        match hive::read_hive(&path, &logs) {
            Err(e) => report.error(format!("offset 0: {e}")),
            Ok(facts) => {
                let folder = SourceRef::folder_of(&b.display);
                if let Some(rec) = hive_identity(&facts, &b.display, folder, &mut report) {
                    report.kept = 1;
                    self.send(Msg::Facts(fp, vec![Fact::Identity(rec)]));
                }
                report.records = facts.key_count as u64;
                for e in facts.errors {
                    report.error(e);
                }
                report.notes.extend(facts.notes);
                if facts.dirty && !facts.logs_applied.is_empty() {
                    report.notes.push(format!(
                        "dirty hive: {} transaction logs applied",
                        facts.logs_applied.len()
                    ));
                }
            }
        }
        report.settle();
        self.send(Msg::Done(report));
    }

    /// Whether content with this fingerprint was read before (then its earlier report).
    fn known(&self, fingerprint: &str) -> Option<InputReport> {
        let (reply_tx, reply_rx) = sync_channel(1);
        self.send(Msg::Known {
            fingerprint: fingerprint.to_string(),
            reply: reply_tx,
        });
        reply_rx.recv().ok().flatten()
    }

    /// Reports an input that is no evidence (by its first bytes): skipped, not read.
    fn not_evidence(&self, display: String, notes: Vec<String>, size: u64) {
        let mut r = InputReport::new(display, InputKind::Unknown, String::new(), size);
        r.notes = notes;
        r.notes.push(
            "not evidence: no format kizuna reads (event logs and exports, netlogon.log, \
             hives, PsGetSid output, inventories)"
                .to_string(),
        );
        r.status = kizuna_core::InputStatus::Skipped;
        self.send(Msg::Done(r));
    }

    fn read(&self, mut b: Blob, kind: InputKind) {
        let size = b.file.metadata().map(|m| m.len()).unwrap_or(0);
        if kind == InputKind::Unknown {
            return self.not_evidence(b.display, b.notes, size);
        }
        let known_first = self.opts.fingerprint == Fingerprint::BeforeReading;
        let ahead = match b.fingerprint.take() {
            Some(f) => Some(Ok(f)),
            None if known_first || cfg!(not(unix)) => Some(hash_file(&mut b.file)),
            None => None,
        };
        let b = b;
        let mut report = InputReport::new(b.display.clone(), kind, String::new(), size);
        report.notes = b.notes.clone();
        let mut sink = Fingerprinted {
            worker: self,
            kind,
            folders: &b.folders,
            state: FingerprintState::Pending,
            held: Vec::new(),
            batch: Vec::with_capacity(BATCH),
        };
        match ahead {
            Some(f) => {
                // Known before reading (unpacked from an archive, or hashed first because
                // the store may hold it already): decide now.
                sink.resolve(f);
                if sink.decided_not_to_read() {
                    return sink.finish(b.display.clone(), report);
                }
                self.parse(&b, kind, &mut report, &mut |f| sink.push(f, None));
            }
            None => {
                // Hashed on another core while this one parses: facts are held back (a
                // bounded number) until the fingerprint says whether the content is new.
                let hashed = b.file.try_clone();
                std::thread::scope(|scope| {
                    let mut hashing = Some(scope.spawn(move || hashed.and_then(hash_file_at)));
                    self.parse(&b, kind, &mut report, &mut |f| {
                        sink.push(f, Some(&mut hashing))
                    });
                    if let Some(h) = hashing.take() {
                        sink.resolve(join_hash(h));
                    }
                });
            }
        }
        sink.finish(b.display.clone(), report);
    }

    /// Runs the reader of `kind` over the blob, handing each fact to `out`.
    fn parse(
        &self,
        b: &Blob,
        kind: InputKind,
        report: &mut InputReport,
        out: &mut dyn FnMut(Fact),
    ) {
        let mut out = |f: Fact| out(f);
        let report = &mut *report;
        let knowledge = self.opts.knowledge.clone();
        let admit = |e| knowledge.admit(e);
        let display = b.display.clone();
        match kind {
            InputKind::Evtx => {
                let Ok(file) = b.file.try_clone() else {
                    return report.error("read error: cannot open the file again");
                };
                read_evtx(
                    file,
                    &display,
                    EvtxOptions {
                        threads: self.inner_threads,
                        path: self.opts.evtx,
                    },
                    knowledge.clone(),
                    report,
                    &self.opts.progress,
                    &mut out,
                );
            }
            InputKind::HiveLog => report.notes.push(
                "registry transaction log: replayed into the hive beside it, not read alone"
                    .to_string(),
            ),
            InputKind::HiveSam
            | InputKind::HiveSecurity
            | InputKind::HiveSystem
            | InputKind::HiveSoftware
            | InputKind::Directory
            | InputKind::Lsarpc => {
                unreachable!(
                    "hives are sniffed as Sniffed::Hive; the directory and remote answers are no file"
                )
            }
            InputKind::EventXml
            | InputKind::EventJson
            | InputKind::WinEventLog
            | InputKind::EventCsv
            | InputKind::MessageCsv
            | InputKind::NetlogonLog
            | InputKind::PsGetSid
            | InputKind::InventoryCsv
            | InputKind::InventoryJson
            | InputKind::Ldif
            | InputKind::DirectoryCsv
            | InputKind::GptTmpl => match b.file.try_clone().and_then(text_reader) {
                Err(e) => report.error(format!("read error: {e}")),
                Ok((text, replaced)) => {
                    match kind {
                        InputKind::EventXml => {
                            read_event_xml(text, &display, report, &mut out, &admit)
                        }
                        InputKind::EventJson => {
                            read_event_json(text, &display, report, &mut out, &admit)
                        }
                        InputKind::EventCsv => crate::event_csv::read_event_csv(
                            text, &display, report, &mut out, &admit,
                        ),
                        InputKind::MessageCsv => crate::event_messages::read_message_export(
                            text,
                            &display,
                            device_from_folders(&b.folders).as_ref(),
                            &knowledge,
                            report,
                            &mut out,
                            &admit,
                        ),
                        InputKind::WinEventLog => crate::wineventlog::read_wineventlog(
                            text, &display, report, &mut out, &admit,
                        ),
                        InputKind::PsGetSid => read_psgetsid(text, &display, report, &mut out),
                        InputKind::InventoryCsv => {
                            read_inventory_csv(text, &display, report, &mut out)
                        }
                        InputKind::InventoryJson => {
                            read_inventory_json(text, &display, report, &mut out)
                        }
                        InputKind::GptTmpl => crate::directory_export::read_gpttmpl(
                            text, &display, &b.folders, report, &mut out,
                        ),
                        InputKind::Ldif => crate::directory_export::read_ldif(
                            text, &display, b.modified, report, &mut out,
                        ),
                        InputKind::DirectoryCsv => crate::directory_export::read_directory_csv(
                            text, &display, b.modified, report, &mut out,
                        ),
                        _ => {
                            let year = match (self.opts.year, b.modified.map(|t| t.year())) {
                                (Some(y), _) => YearSource::Option(y),
                                (None, Some(y)) => YearSource::FileTime(y),
                                (None, None) => YearSource::FileTime(chrono::Utc::now().year()),
                            };
                            let ctx = NetlogonContext {
                                year,
                                device: device_from_folders(&b.folders),
                            };
                            read_netlogon(text, &display, &ctx, report, &mut out)
                        }
                    }
                    if replaced.count() > 0 {
                        report.error(format!(
                                "{} byte sequences are not valid text in the input's encoding; read as U+FFFD",
                                replaced.count()
                            ));
                    }
                }
            },
            InputKind::Unknown => unreachable!("handled above"),
        }
    }
}

/// What a hive says about its device's identity.
fn hive_identity(
    f: &hive::HiveFacts,
    display: &str,
    folder: Option<String>,
    report: &mut InputReport,
) -> Option<IdentityRecord> {
    let (kind, source_kind) = match f.hive_type? {
        hive::HiveType::Sam => (InputKind::HiveSam, IdentitySource::HiveSam),
        hive::HiveType::Security => (InputKind::HiveSecurity, IdentitySource::HiveSecurity),
        hive::HiveType::System => (InputKind::HiveSystem, IdentitySource::HiveSystem),
        hive::HiveType::Software => (InputKind::HiveSoftware, IdentitySource::HiveSoftware),
        hive::HiveType::Unknown => return None,
    };
    report.kind = kind;
    // On a domain controller the account domain is the domain itself (PolAcDmS ==
    // PolPrDmS and PolAcDmN == PolPrDmN): PolAcDmN then names the domain, not the
    // computer. (A member cloned from a DC image shares the SID but keeps its own name.)
    let security_of_dc = source_kind == IdentitySource::HiveSecurity
        && f.machine_sid.is_some()
        && f.machine_sid == f.primary_domain_sid
        && f.account_domain_name.is_some()
        && f.account_domain_name
            .as_deref()
            .zip(f.primary_domain_name.as_deref())
            .is_some_and(|(a, p)| a.eq_ignore_ascii_case(p));
    let device = match source_kind {
        IdentitySource::HiveSystem => f.computer_name.as_deref().and_then(DeviceName::parse),
        IdentitySource::HiveSecurity if !security_of_dc => {
            f.account_domain_name.as_deref().and_then(DeviceName::parse)
        }
        _ => None,
    };
    let role = if security_of_dc {
        Some(DeviceRole::Dc)
    } else {
        f.product_type.as_deref().and_then(DeviceRole::parse)
    };
    let machine_sid = f
        .machine_sid
        .as_deref()
        .and_then(|s| s.parse::<MachineSid>().ok());
    let domain = f
        .dns_domain_name
        .clone()
        .or_else(|| f.tcpip_domain.clone())
        .or_else(|| f.primary_domain_name.clone())
        .filter(|d| !d.is_empty() && !d.eq_ignore_ascii_case("WORKGROUP"));
    let os_build = f.current_build.map(|build| OsBuild { build, ubr: f.ubr });
    Some(IdentityRecord {
        device,
        folder,
        machine_sid,
        machine_guid: f.machine_guid,
        role,
        domain,
        os_build,
        netlogon: f.netlogon.clone(),
        hardening: f.hardening.clone(),
        observed: f.last_written,
        kind: source_kind,
        source: SourceRef {
            path: display.to_string(),
            offset: None,
            line: None,
        },
    })
}

/// The fingerprint of an input whose facts depend on where it lies as well as on its
/// bytes: a GptTmpl.inf belongs to the GPO of its `{GUID}` folder, and a netlogon.log or an
/// Event Viewer export (neither names its computer) to the device of its folder. Two
/// such files with the same bytes in different places are two inputs, not one content
/// read twice; where the copy itself lies (the folders above) does not matter.
fn placed_fingerprint(kind: InputKind, content: String, folders: &[String]) -> String {
    let place: Vec<String> = match kind {
        InputKind::GptTmpl => {
            let mut up_to_guid = Vec::new();
            for f in folders {
                up_to_guid.push(f.to_ascii_uppercase());
                if f.starts_with('{') && f.ends_with('}') {
                    break;
                }
            }
            up_to_guid
        }
        InputKind::NetlogonLog | InputKind::MessageCsv => device_from_folders(folders)
            .map(|d| vec![format!("device:{}", d.key())])
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    if place.is_empty() {
        return content;
    }
    let mut h = Sha256::new();
    h.update(content.as_bytes());
    for p in &place {
        h.update(b"\n");
        h.update(p.as_bytes());
    }
    hex(&h.finalize())
}

/// The device a collected log belongs to: the nearest folder that is not a generic
/// Windows or collection folder (`PC01/debug/netlogon.log` → PC01).
fn device_from_folders(folders: &[String]) -> Option<DeviceName> {
    const GENERIC: [&str; 12] = [
        "debug",
        "windows",
        "logs",
        "log",
        "netlogon",
        "evidence",
        "collected",
        "c",
        "c$",
        "tmp",
        "temp",
        "system32",
    ];
    folders
        .iter()
        .find(|f| !GENERIC.contains(&f.to_ascii_lowercase().as_str()))
        .and_then(|f| DeviceName::parse(f))
}

/// The number of members a zip's central directory declares, from its end record (zip64
/// included); `None` when it cannot be found. The file is left at its start.
fn declared_zip_entries(f: &mut File) -> Option<u64> {
    let found = (|| {
        let len = f.metadata().ok()?.len();
        let tail_len = len.min(22 + 65_535);
        f.seek(SeekFrom::Start(len - tail_len)).ok()?;
        let mut tail = vec![0u8; tail_len as usize];
        f.read_exact(&mut tail).ok()?;
        // The end record is the last one whose comment ends the file.
        let at = (0..=tail.len().checked_sub(22)?).rev().find(|&i| {
            tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06]
                && i + 22 + u16::from_le_bytes([tail[i + 20], tail[i + 21]]) as usize == tail.len()
        })?;
        let total = u16::from_le_bytes([tail[at + 10], tail[at + 11]]);
        if total != 0xFFFF {
            return Some(u64::from(total));
        }
        // zip64: its locator sits just before the end record.
        let loc = at.checked_sub(20)?;
        if tail[loc..loc + 4] != [0x50, 0x4b, 0x06, 0x07] {
            return None;
        }
        let record = u64::from_le_bytes(tail[loc + 8..loc + 16].try_into().ok()?);
        f.seek(SeekFrom::Start(record)).ok()?;
        let mut r = [0u8; 40];
        f.read_exact(&mut r).ok()?;
        (r[0..4] == [0x50, 0x4b, 0x06, 0x06])
            .then(|| u64::from_le_bytes(r[32..40].try_into().unwrap_or_default()))
    })();
    f.seek(SeekFrom::Start(0)).ok()?;
    found
}

/// What an archive member (or a decompressed stream) unpacked to.
enum Unpacked {
    /// Its first [`SNIFF_LEN`] bytes are no evidence: nothing more was unpacked. `whole`
    /// when those `head` bytes were all of it.
    NotEvidence { head: u64, whole: bool },
    /// Evidence (or an archive): the whole of it in a temporary file, with its SHA-256.
    Spooled(File, String),
}

/// Unpacks the first [`SNIFF_LEN`] bytes of `r` and sniffs them: content that is no
/// evidence costs no more than that, the rest is spooled (and hashed) whole, head first.
fn unpack(r: &mut dyn Read) -> io::Result<Unpacked> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut *r).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    if sniff(&head) == Sniffed::Kind(InputKind::Unknown) {
        return Ok(Unpacked::NotEvidence {
            head: head.len() as u64,
            whole: head.len() < SNIFF_LEN,
        });
    }
    let (tmp, fingerprint) = spool(&mut head.as_slice().chain(r))?;
    Ok(Unpacked::Spooled(tmp, fingerprint))
}

/// Copies a stream into a temporary file, returning it (rewound) and its SHA-256.
fn spool(r: &mut dyn Read) -> io::Result<(File, String)> {
    let mut tmp = tempfile::tempfile()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n])?;
    }
    tmp.seek(SeekFrom::Start(0))?;
    Ok((tmp, hex(&hasher.finalize())))
}

/// When an input's fingerprint is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fingerprint {
    /// Before it is read: content the sink holds already is not read at all. For a store
    /// that lives on (`--db`), where scanning the same evidence again is common.
    #[default]
    BeforeReading,
    /// While it is read, on another core; its facts wait (a bounded number) until the
    /// fingerprint says the content is new. For a store that is thrown away, where
    /// content is rarely known and each file would otherwise be read twice.
    WhileReading,
}

/// Facts held back, at most, while an input's fingerprint is being computed.
const HOLD: usize = 8 * BATCH;

/// Where an input's fingerprint stands.
enum FingerprintState {
    Pending,
    /// New content: its facts go to the consumer under this fingerprint.
    New(String),
    /// Read before (at another path, or in an earlier run): its earlier report.
    Known(InputReport),
    /// It could not be hashed: the input fails with this error.
    Failed(String),
}

/// A hash being computed on another thread.
type Hashing<'scope> = std::thread::ScopedJoinHandle<'scope, io::Result<String>>;

/// The facts of one input on their way to the consumer, held back until its fingerprint
/// is known.
struct Fingerprinted<'a> {
    worker: &'a Worker,
    kind: InputKind,
    folders: &'a [String],
    state: FingerprintState,
    held: Vec<Fact>,
    batch: Vec<Fact>,
}

impl Fingerprinted<'_> {
    fn push(&mut self, f: Fact, hashing: Option<&mut Option<Hashing<'_>>>) {
        match self.state {
            FingerprintState::Pending => {
                self.held.push(f);
                if self.held.len() >= HOLD
                    && let Some(h) = hashing.and_then(Option::take)
                {
                    self.resolve(join_hash(h));
                }
            }
            FingerprintState::New(_) => self.emit(f),
            FingerprintState::Known(_) | FingerprintState::Failed(_) => {}
        }
    }

    fn emit(&mut self, f: Fact) {
        let FingerprintState::New(fp) = &self.state else {
            return;
        };
        self.batch.push(f);
        if self.batch.len() >= BATCH {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            self.worker.send(Msg::Facts(fp.clone(), batch));
        }
    }

    /// The fingerprint is known (or could not be): new content's held facts go on, the
    /// others are dropped.
    fn resolve(&mut self, hash: io::Result<String>) {
        self.state = match hash {
            Err(e) => FingerprintState::Failed(format!("read error: {e}")),
            Ok(h) => {
                let fp = placed_fingerprint(self.kind, h, self.folders);
                match self.worker.known(&fp) {
                    Some(earlier) => FingerprintState::Known(earlier),
                    None => FingerprintState::New(fp),
                }
            }
        };
        for f in std::mem::take(&mut self.held) {
            self.emit(f);
        }
    }

    fn decided_not_to_read(&self) -> bool {
        matches!(
            self.state,
            FingerprintState::Known(_) | FingerprintState::Failed(_)
        )
    }

    /// Ends the input: its report (or the earlier one, or its error) to the consumer.
    fn finish(mut self, display: String, mut report: InputReport) {
        match std::mem::replace(&mut self.state, FingerprintState::Pending) {
            FingerprintState::Known(mut earlier) => {
                earlier.path = display;
                self.worker.send(Msg::Done(earlier));
            }
            FingerprintState::Failed(e) => self.worker.fail(display, e),
            FingerprintState::Pending => self
                .worker
                .fail(display, "read error: no fingerprint was taken".into()),
            FingerprintState::New(fp) => {
                if !self.batch.is_empty() {
                    let batch = std::mem::take(&mut self.batch);
                    self.worker.send(Msg::Facts(fp.clone(), batch));
                }
                report.fingerprint = fp;
                report.settle();
                self.worker.send(Msg::Done(report));
            }
        }
    }
}

fn join_hash(h: Hashing<'_>) -> io::Result<String> {
    h.join()
        .unwrap_or_else(|_| Err(io::Error::other("the hashing thread failed")))
}

/// SHA-256 of a whole file read by position, so the file's offset (which a reader of the
/// same file on another thread moves) is not touched.
#[cfg(unix)]
fn hash_file_at(f: File) -> io::Result<String> {
    use std::os::unix::fs::FileExt;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut at = 0u64;
    loop {
        let n = f.read_at(&mut buf, at)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    Ok(hex(&hasher.finalize()))
}

/// Elsewhere a clone of a file shares its offset: hashing goes before reading there.
#[cfg(not(unix))]
fn hash_file_at(_: File) -> io::Result<String> {
    Err(io::Error::other(
        "hashing while reading needs positional reads",
    ))
}

fn hash_file(f: &mut File) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    f.seek(SeekFrom::Start(0))?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_in_a_folder_are_shown_with_the_separator_the_user_typed() {
        let rel = Path::new("dc1").join("System.evtx");
        assert_eq!(
            shown_under("lab/evidence", &rel),
            "lab/evidence/dc1/System.evtx"
        );
        assert_eq!(
            shown_under("lab/evidence/", &rel),
            "lab/evidence/dc1/System.evtx"
        );
        assert_eq!(shown_under("/corpus", &rel), "/corpus/dc1/System.evtx");
        if cfg!(windows) {
            assert_eq!(
                shown_under(r"\\fs\logs", &rel),
                r"\\fs\logs\dc1\System.evtx"
            );
            assert_eq!(shown_under(r"C:\logs\", &rel), r"C:\logs\dc1\System.evtx");
            assert_eq!(shown_under("logs", &rel), r"logs\dc1\System.evtx");
        } else {
            assert_eq!(shown_under("logs", &rel), "logs/dc1/System.evtx");
        }
    }

    use super::*;

    #[test]
    fn device_folder() {
        let f = |v: &[&str]| {
            device_from_folders(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .map(|d| d.key().to_string())
        };
        assert_eq!(
            f(&["debug", "Windows", "PC01", "evidence"]),
            Some("PC01".into())
        );
        assert_eq!(f(&["pc02.corp.example.com"]), Some("PC02".into()));
        assert_eq!(f(&["debug"]), None);
    }
}
