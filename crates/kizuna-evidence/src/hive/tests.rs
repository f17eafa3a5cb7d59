use super::*;

/// `../shared/corpus/hives`, or `None` with a loud message when it is absent.
fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/hives");
    if p.is_dir() {
        Some(p.canonicalize().expect("corpus path"))
    } else {
        eprintln!(
            "\n!!!!! SKIPPED: ../shared/corpus/hives is absent; hive corpus tests did not run !!!!!\n"
        );
        None
    }
}

/// Decompresses `name` (an `.xz` corpus file) into `dir`, under its name without `.xz`.
fn unxz(corpus: &Path, name: &str, dir: &Path) -> PathBuf {
    let out = dir.join(name.trim_end_matches(".xz"));
    let mut reader = xz2::read::XzDecoder::new(File::open(corpus.join(name)).expect("corpus file"));
    let mut file = File::create(&out).expect("temp file");
    io::copy(&mut reader, &mut file).expect("xz decompression");
    out
}

fn read(path: &Path, logs: &[PathBuf]) -> HiveFacts {
    read_hive(path, logs).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn hive_winregkb_sam() {
    let Some(c) = corpus() else { return };
    let f = read(&c.join("winregkb_SAM"), &[]);
    assert_eq!(f.hive_type, Some(HiveType::Sam));
    assert_eq!(
        f.machine_sid,
        s("S-1-5-21-4070822719-3404542230-2541167049")
    );
    assert_eq!(f.sam_descriptor_matches_tail, Some(true));
    // Base block bytes 12..20: FILETIME 130216515440516550.
    assert_eq!(
        f.last_written
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        s("2013-08-22T13:25:44.051655Z")
    );
    assert!(!f.dirty);
    assert!(f.logs_applied.is_empty());
    assert!(f.key_count > 0);
    assert!(f.errors.is_empty(), "{:?}", f.errors);
    assert_eq!(f.account_domain_name, None);
    assert_eq!(f.computer_name, None);
}

#[test]
fn hive_winregkb_security() {
    let Some(c) = corpus() else { return };
    let f = read(&c.join("winregkb_SECURITY"), &[]);
    assert_eq!(f.hive_type, Some(HiveType::Security));
    assert_eq!(
        f.machine_sid,
        s("S-1-5-21-4070822719-3404542230-2541167049")
    );
    assert_eq!(f.account_domain_name, s("STUDENT-PC8"));
    assert_eq!(f.primary_domain_name, s("INTERNAL"));
    assert_eq!(
        f.primary_domain_sid,
        s("S-1-5-21-226059406-2984137831-1201299043")
    );
    assert_eq!(f.dns_domain_name, s("internal.greendale.edu"));
    assert_eq!(f.sam_descriptor_matches_tail, None);
    assert!(!f.dirty);
    assert!(f.errors.is_empty(), "{:?}", f.errors);
}

#[test]
fn hive_grownd_pair() {
    let Some(c) = corpus() else { return };
    let sam = read(&c.join("grownd_SAM"), &[]);
    assert_eq!(sam.hive_type, Some(HiveType::Sam));
    assert_eq!(
        sam.machine_sid,
        s("S-1-5-21-2702878673-795188819-444038987")
    );
    assert_eq!(
        sam.last_written.map(|t| t.date_naive().to_string()),
        s("2024-12-31")
    );
    assert!(!sam.dirty);
    assert!(sam.errors.is_empty(), "{:?}", sam.errors);

    let sec_path = c.join("grownd_SECURITY");
    assert!(sibling_logs(&sec_path).is_empty());
    let sec = read(&sec_path, &[]);
    assert_eq!(sec.hive_type, Some(HiveType::Security));
    assert_eq!(sec.machine_sid, sam.machine_sid);
    assert_eq!(sec.account_domain_name, s("Windows Phone"));
    assert_eq!(sec.primary_domain_name, s("WORKGROUP"));
    assert_eq!(sec.primary_domain_sid, None);
    assert_eq!(sec.dns_domain_name, None);
    assert!(sec.dirty);
    assert!(sec.logs_applied.is_empty());
    assert!(
        sec.notes.iter().any(|n| n.contains("logs not applied")),
        "{:?}",
        sec.notes
    );
}

#[test]
fn hive_regipy_sam_and_security() {
    let Some(c) = corpus() else { return };
    let sam = read(&c.join("regipy_SAM"), &[]);
    assert_eq!(sam.hive_type, Some(HiveType::Sam));
    assert_eq!(
        sam.machine_sid,
        s("S-1-5-21-1760460187-1592185332-161725925")
    );
    assert_eq!(sam.sam_descriptor_matches_tail, Some(true));
    assert!(sam.errors.is_empty(), "{:?}", sam.errors);

    let sec = read(&c.join("regipy_SECURITY"), &[]);
    assert!(sec.errors.is_empty(), "{:?}", sec.errors);
    assert_eq!(sec.hive_type, Some(HiveType::Security));
    assert_eq!(
        sec.machine_sid,
        s("S-1-5-21-1786693902-1815088602-2777321892")
    );
    assert_eq!(sec.account_domain_name, s("DESKTOP-M964FJN"));
    assert_eq!(sec.primary_domain_name, s("WORKGROUP"));
    assert_eq!(sec.primary_domain_sid, None);
    assert_eq!(sec.dns_domain_name, None);
    assert!(sec.dirty);
    assert!(sec.notes.iter().any(|n| n.contains("logs not applied")));
}

#[test]
fn hive_ez_sams() {
    let Some(c) = corpus() else { return };
    let dupe = read(&c.join("ez_SAM_DUPENAME"), &[]);
    assert!(dupe.errors.is_empty(), "{:?}", dupe.errors);
    assert_eq!(dupe.hive_type, Some(HiveType::Sam));
    assert_eq!(
        dupe.machine_sid,
        s("S-1-5-21-4271176276-4210259494-4108073714")
    );

    // One hbin signature is "gbin": the SID must still be read.
    let bad = read(&c.join("ez_SAMBadHBinHeader"), &[]);
    assert_eq!(bad.hive_type, Some(HiveType::Sam));
    assert_eq!(
        bad.machine_sid,
        s("S-1-5-21-3064465268-1549819264-574340205")
    );
    assert!(
        bad.errors
            .iter()
            .any(|e| e.contains("\"gbin\"") && e.contains("0x2000")),
        "{:?}",
        bad.errors
    );
}

#[test]
fn hive_regipy_system() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let path = unxz(&c, "regipy_SYSTEM.xz", tmp.path());
    let f = read(&path, &[]);
    assert_eq!(f.hive_type, Some(HiveType::System));
    assert_eq!(f.current_control_set, Some(1));
    assert_eq!(f.computer_name, s("WKS-WIN732BITA"));
    assert_eq!(f.product_type, s("WinNT"));
    assert_eq!(f.tcpip_domain, s("shieldbase.local"));
    assert_eq!(f.netlogon.get("MaximumPasswordAge"), Some(&30));
    assert_eq!(f.netlogon.get("DisablePasswordChange"), Some(&0));
    assert!(!f.netlogon.contains_key("RefusePasswordChange"));
    assert!(!f.dirty);
    assert_eq!(f.machine_sid, None);
    assert!(f.errors.is_empty(), "{:?}", f.errors);

    // Logs beside a clean hive are not replayed (and these are not even its logs).
    let stray = read(&path, &sibling_logs(&c.join("regipy_SYSTEM_B.xz")));
    assert!(stray.logs_applied.is_empty());
    assert_eq!(stray.key_count, f.key_count);
    assert!(
        stray.notes.iter().any(|n| n.contains("not needed")),
        "{:?}",
        stray.notes
    );

    // Key paths and value names are matched case-insensitively.
    let mut parser = build_parser(&path, &[]).unwrap();
    let key = find_key(
        &mut parser,
        "controlset001\\CONTROL\\computername\\ComputerName",
    )
    .unwrap()
    .expect("lower/upper-case path found");
    assert!(key.get_value("COMPUTERNAME").is_some());
    // The walk counts what notatin's own counter counts.
    assert_eq!(f.key_count, parser.count_all_keys_and_values(None).0);
}

#[test]
fn hive_regipy_system_b_with_logs() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let path = unxz(&c, "regipy_SYSTEM_B.xz", tmp.path());

    let without = read(&path, &[]);
    assert_eq!(without.hive_type, Some(HiveType::System));
    assert_eq!(without.computer_name, s("DESKTOP-PM6C56D"));
    assert!(without.dirty);
    assert_eq!(without.key_count, 33123);
    assert!(without.logs_applied.is_empty());
    assert!(without.notes.iter().any(|n| n.contains("logs not applied")));

    // The compressed logs beside the compressed hive are found and replayed as is.
    let hive_xz = c.join("regipy_SYSTEM_B.xz");
    let logs = sibling_logs(&hive_xz);
    assert_eq!(
        logs,
        vec![
            c.join("regipy_SYSTEM_B.LOG1.xz"),
            c.join("regipy_SYSTEM_B.LOG2.xz")
        ]
    );
    let with = read(&path, &logs);
    assert!(with.dirty);
    assert_eq!(with.logs_applied, logs);
    assert_eq!(with.key_count, 35595);
    assert!(with.errors.is_empty(), "{:?}", with.errors);
    assert!(
        with.notes
            .iter()
            .any(|n| n.contains("Applied transaction log"))
    );
    assert_eq!(with.computer_name, s("DESKTOP-PM6C56D"));
    assert_eq!(with.product_type, s("WinNT"));
    assert_eq!(with.netlogon.get("MaximumPasswordAge"), Some(&30));
    assert_eq!(with.tcpip_domain, None);

    // The compressed hive itself reads the same.
    let direct = read(&hive_xz, &logs);
    assert_eq!(direct.key_count, 35595);
    assert_eq!(direct.logs_applied.len(), 2);

    // Decompressed logs work too.
    let plain_logs = vec![
        unxz(&c, "regipy_SYSTEM_B.LOG1.xz", tmp.path()),
        unxz(&c, "regipy_SYSTEM_B.LOG2.xz", tmp.path()),
    ];
    assert_eq!(sibling_logs(&path), plain_logs);
    assert_eq!(read(&path, &plain_logs).key_count, 35595);
}

#[test]
fn hive_regipy_corrupted_system() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let path = unxz(&c, "regipy_corrupted_system_hive.xz", tmp.path());
    let f = read(&path, &[]);
    assert_eq!(f.hive_type, Some(HiveType::System));
    assert_eq!(f.current_control_set, Some(1));
    assert_eq!(f.computer_name, s("GINEVRA"));
    assert_eq!(f.product_type, s("WinNT"));
    // The hive writes value names in lower case (maximumpasswordage).
    assert_eq!(f.netlogon.get("MaximumPasswordAge"), Some(&30));
    assert!(!f.dirty);
    // Zeroed hive bins and unparseable sub-keys are listed, with offsets.
    assert!(
        f.errors
            .iter()
            .any(|e| e.contains("hive bin at file offset"))
    );
    assert!(f.errors.iter().any(|e| e.contains("Unable to parse")));
}

#[test]
fn hive_magic_checks() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let hive = std::fs::read(c.join("winregkb_SAM")).unwrap();
    assert!(is_primary_hive(&hive[..4096]));
    assert!(!is_hive_log(&hive[..4096]));

    let log = std::fs::read(unxz(&c, "regipy_SYSTEM_B.LOG1.xz", tmp.path())).unwrap();
    assert!(!is_primary_hive(&log[..512]));
    assert!(is_hive_log(&log[..512]));
    // A log alone is not a hive.
    assert!(read_hive(&tmp.path().join("regipy_SYSTEM_B.LOG1"), &[]).is_err());
}

#[test]
fn hive_magic_checks_on_junk() {
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert!(!is_primary_hive(&junk));
    assert!(!is_hive_log(&junk));
    assert!(!is_primary_hive(b"regf"));
    assert!(!is_primary_hive(&[]));
    let mut fake = vec![0u8; 512];
    fake[..4].copy_from_slice(b"regf");
    assert!(is_primary_hive(&fake));
    fake[28] = 6;
    assert!(is_hive_log(&fake));
    fake[28] = 9;
    assert!(!is_primary_hive(&fake) && !is_hive_log(&fake));
}

#[test]
fn hive_damaged_input_never_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let junk_path = tmp.path().join("junk");
    let junk: Vec<u8> = (0..20000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
        .collect();
    std::fs::write(&junk_path, &junk).unwrap();
    assert!(read_hive(&junk_path, &[]).is_err());

    let empty = tmp.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    assert!(read_hive(&empty, &[]).is_err());
    assert!(read_hive(&tmp.path().join("missing"), &[]).is_err());

    // A regf header with nothing behind it.
    let mut header_only = vec![0u8; 4096];
    header_only[..4].copy_from_slice(b"regf");
    let header_path = tmp.path().join("header_only");
    std::fs::write(&header_path, &header_only).unwrap();
    if let Ok(f) = read_hive(&header_path, &[]) {
        assert!(!f.errors.is_empty(), "{f:?}");
    }

    let Some(c) = corpus() else { return };
    for name in ["winregkb_SAM", "winregkb_SECURITY"] {
        let bytes = std::fs::read(c.join(name)).unwrap();
        let cut = tmp.path().join(format!("{name}_cut"));
        std::fs::write(&cut, &bytes[..5000]).unwrap();
        if let Ok(f) = read_hive(&cut, &[]) {
            assert_eq!(f.machine_sid, None);
            assert!(
                f.errors.iter().any(|e| e.contains("file truncated")),
                "{f:?}"
            );
        }
        // A junk "log" is refused with an error entry, and the hive is still read.
        let f = read_hive(&c.join(name), std::slice::from_ref(&junk_path)).unwrap();
        assert!(f.machine_sid.is_some());
        assert!(
            f.errors
                .iter()
                .any(|e| e.contains("not a registry transaction log"))
        );
    }
}

#[test]
fn hive_sid_and_string_decoding() {
    let mut sid = vec![1u8, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0];
    for n in [1u32, 2, 3] {
        sid.extend(n.to_le_bytes());
    }
    assert_eq!(sid_to_string(&sid).unwrap(), "S-1-5-21-1-2-3");
    assert!(sid_to_string(&sid[..20]).is_err());
    assert!(sid_to_string(&[]).is_err());
    assert!(sid_to_string(&[2, 0, 0, 0, 0, 0, 0, 5]).is_err());

    // V: 4 descriptors, descriptor 1 -> SID at 0x30 + 8; SID also the tail.
    let mut v = vec![0u8; 0x30 + 8];
    v[12..16].copy_from_slice(&8u32.to_le_bytes());
    v[16..20].copy_from_slice(&24u32.to_le_bytes());
    v.extend(&sid);
    assert_eq!(
        sam_descriptor_sid(&v).unwrap(),
        ("S-1-5-21-1-2-3".to_string(), true)
    );
    let mut bad = v.clone();
    bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(sam_descriptor_sid(&bad).is_err());
    bad[12..16].copy_from_slice(&8u32.to_le_bytes());
    bad[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(sam_descriptor_sid(&bad).is_err());
    assert!(sam_descriptor_sid(&v[..10]).is_err());

    let mut name = vec![8u8, 0, 10, 0, 8, 0, 0, 0];
    for ch in "PC01".encode_utf16() {
        name.extend(ch.to_le_bytes());
    }
    assert_eq!(unicode_string(&name).unwrap(), s("PC01"));
    assert_eq!(unicode_string(&[0, 0, 0, 0, 8, 0, 0, 0]).unwrap(), None);
    assert_eq!(unicode_string(&[]).unwrap(), None);
    assert!(unicode_string(&name[..10]).is_err());
    assert!(unicode_string(&[1, 2]).is_err());

    assert_eq!(parse_number("26100").unwrap(), 26100);
    assert_eq!(parse_number("0x10").unwrap(), 16);
    assert!(parse_number("abc").is_err());
}

#[test]
fn hive_sibling_logs_matching() {
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "SYSTEM",
        "SYSTEM.LOG1",
        "system.log2.xz",
        "SYSTEM.LOG",
        "SYSTEM.LOG3",
        "SYSTEM2.LOG1",
        "SOFTWARE.LOG1",
    ] {
        std::fs::write(tmp.path().join(name), b"x").unwrap();
    }
    let got = sibling_logs(&tmp.path().join("SYSTEM"));
    let want: Vec<PathBuf> = ["SYSTEM.LOG", "SYSTEM.LOG1", "system.log2.xz"]
        .iter()
        .map(|n| tmp.path().join(n))
        .collect();
    assert_eq!(got, want);
    assert_eq!(sibling_logs(&tmp.path().join("system.gz")), want);
    assert!(sibling_logs(&tmp.path().join("nothing")).is_empty());
}

/// A key of a synthetic hive: name, values `(name, type, data)`, sub-keys.
struct K {
    name: &'static str,
    values: Vec<(&'static str, u32, Vec<u8>)>,
    subs: Vec<K>,
}

fn k(name: &'static str, values: Vec<(&'static str, u32, Vec<u8>)>, subs: Vec<K>) -> K {
    K { name, values, subs }
}

/// A key path `a\b\c` whose last key holds `values`.
fn chain(path: &'static str, values: Vec<(&'static str, u32, Vec<u8>)>) -> K {
    let mut parts: Vec<&'static str> = path.split('\\').collect();
    let last = parts.pop().unwrap();
    let mut key = k(last, values, vec![]);
    while let Some(name) = parts.pop() {
        key = k(name, vec![], vec![key]);
    }
    key
}

const REG_SZ: u32 = 1;
const REG_DWORD: u32 = 4;
const REG_NONE: u32 = 0;

fn sz(text: &str) -> (u32, Vec<u8>) {
    let mut b: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    b.extend([0, 0]);
    (REG_SZ, b)
}

fn val(name: &'static str, (ty, data): (u32, Vec<u8>)) -> (&'static str, u32, Vec<u8>) {
    (name, ty, data)
}

fn dword(name: &'static str, n: u32) -> (&'static str, u32, Vec<u8>) {
    (name, REG_DWORD, n.to_le_bytes().to_vec())
}

fn add(parent: &mut kizuna_lab::hive::Key, key: &K) {
    let k = parent.key(key.name);
    for (name, ty, data) in &key.values {
        k.value(name, *ty, data);
    }
    for sub in &key.subs {
        add(k, sub);
    }
}

/// A primary hive file with root key `ROOT` holding `subs`, written by the lab's regf
/// writer; sequence numbers as given (unequal = dirty), checksum recomputed.
fn synthetic_hive(subs: Vec<K>, sequence: (u32, u32)) -> Vec<u8> {
    let mut b = kizuna_lab::hive::HiveBuilder::new("ROOT");
    b.set_sequence(sequence.0);
    for sub in &subs {
        add(b.key(""), sub);
    }
    let mut file = b.to_bytes();
    file[8..12].copy_from_slice(&sequence.1.to_le_bytes());
    let checksum = (0..127).fold(0u32, |x, i| x ^ u32_le(&file, i * 4));
    file[508..512].copy_from_slice(&checksum.to_le_bytes());
    file
}

fn read_synthetic(dir: &Path, name: &str, bytes: &[u8]) -> HiveFacts {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    read(&path, &[])
}

#[test]
fn hive_synthetic_software() {
    let tmp = tempfile::tempdir().unwrap();
    let hive = synthetic_hive(
        vec![
            k("Classes", vec![], vec![]),
            chain(
                "Microsoft\\Windows NT\\CurrentVersion",
                vec![
                    val("CurrentBuild", sz("26100")),
                    val("CurrentBuildNumber", sz("1")),
                    dword("UBR", 4061),
                    val("DisplayVersion", sz("24H2")),
                    val("ProductName", sz("Windows Server 2025 Datacenter")),
                    val("EditionID", sz("ServerDatacenter")),
                    val("InstallationType", sz("Server")),
                ],
            ),
            chain(
                "Microsoft\\Cryptography",
                vec![val(
                    "MachineGuid",
                    sz("{8B1F2A3C-4D5E-6F70-8192-A3B4C5D6E7F8}"),
                )],
            ),
        ],
        (7, 7),
    );
    let f = read_synthetic(tmp.path(), "not_named_software.bin", &hive);
    assert_eq!(
        f.machine_guid.map(|g| g.to_string()).as_deref(),
        Some("8b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8")
    );
    assert_eq!(f.hive_type, Some(HiveType::Software));
    assert_eq!(f.current_build, Some(26100));
    assert_eq!(f.ubr, Some(4061));
    assert_eq!(f.display_version, s("24H2"));
    assert_eq!(f.product_name, s("Windows Server 2025 Datacenter"));
    assert_eq!(f.edition_id, s("ServerDatacenter"));
    assert_eq!(f.installation_type, s("Server"));
    assert_eq!(f.key_count, 6);
    assert!(!f.dirty);
    assert!(f.errors.is_empty(), "{:?}", f.errors);

    // CurrentBuildNumber stands in for a missing CurrentBuild; a missing ProductName is
    // an error, not a panic.
    let hive = synthetic_hive(
        vec![chain(
            "microsoft\\windows nt\\currentversion",
            vec![val("currentbuildnumber", sz("17763"))],
        )],
        (1, 1),
    );
    let f = read_synthetic(tmp.path(), "old", &hive);
    assert_eq!(f.hive_type, Some(HiveType::Software));
    assert_eq!(f.current_build, Some(17763));
    assert_eq!(f.product_name, None);
    assert!(
        f.errors.iter().any(|e| e.contains("ProductName not found")),
        "{:?}",
        f.errors
    );
}

/// A fuzzing finding: an `lf` entry pointing near 4 GiB overflowed notatin's offset
/// arithmetic (a panic with overflow checks, a wrong cell without). The patched notatin
/// (vendor/notatin) reports that one sub-key as unreadable and reads its siblings.
#[test]
fn hive_subkey_offset_past_4_gib_is_damage_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let hive = synthetic_hive(
        vec![
            k("Classes", vec![], vec![]),
            chain(
                "Microsoft\\Windows NT\\CurrentVersion",
                vec![
                    val("CurrentBuild", sz("26100")),
                    val("ProductName", sz("Windows 11 Pro")),
                ],
            ),
        ],
        (3, 3),
    );
    let damaged = kizuna_lab::hive::with_root_lf_entry_at(&hive, 0xFFFF_FFF8);
    let before = caught_panics();
    let f = read_synthetic(tmp.path(), "SOFTWARE", &damaged);
    assert_eq!(caught_panics(), before, "{:?}", f.errors);
    assert!(
        f.errors.iter().any(|e| e.contains("4294967295")),
        "the unreadable sub-key is reported: {:?}",
        f.errors
    );
    // Classes is lost; Microsoft\Windows NT\CurrentVersion is still read.
    assert_eq!(f.key_count, 4);
    assert_eq!(f.hive_type, Some(HiveType::Software));
    assert_eq!(f.current_build, Some(26100));
    assert_eq!(f.product_name, s("Windows 11 Pro"));
}

#[test]
fn hive_synthetic_system_dc() {
    let tmp = tempfile::tempdir().unwrap();
    // Lower-case key and value names; Current points at the second control set.
    let hive = synthetic_hive(
        vec![
            k(
                "select",
                vec![dword("current", 2), dword("default", 2)],
                vec![],
            ),
            chain(
                "ControlSet001\\Control\\ComputerName\\ComputerName",
                vec![val("ComputerName", sz("WRONG"))],
            ),
            k(
                "controlset002",
                vec![],
                vec![
                    k(
                        "control",
                        vec![],
                        vec![
                            chain(
                                "computername\\computername",
                                vec![val("computername", sz("DC01"))],
                            ),
                            chain("productoptions", vec![val("producttype", sz("LanmanNT"))]),
                        ],
                    ),
                    k(
                        "services",
                        vec![],
                        vec![
                            chain(
                                "tcpip\\parameters",
                                vec![
                                    val("hostname", sz("dc01")),
                                    val("domain", sz("corp.example")),
                                ],
                            ),
                            chain(
                                "netlogon\\parameters",
                                vec![
                                    dword("refusepasswordchange", 1),
                                    dword("MAXIMUMPASSWORDAGE", 45),
                                    dword("RequireSignOrSeal", 1),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
        (3, 3),
    );
    let f = read_synthetic(tmp.path(), "SOFTWARE", &hive);
    assert_eq!(
        f.hive_type,
        Some(HiveType::System),
        "content wins over the file name"
    );
    assert_eq!(f.current_control_set, Some(2));
    assert_eq!(f.computer_name, s("DC01"));
    assert_eq!(f.product_type, s("LanmanNT"));
    assert_eq!(f.tcpip_hostname, s("dc01"));
    assert_eq!(f.tcpip_domain, s("corp.example"));
    let netlogon: Vec<(&str, u32)> = f.netlogon.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        netlogon,
        [("MaximumPasswordAge", 45), ("RefusePasswordChange", 1)]
    );
    assert!(f.errors.is_empty(), "{:?}", f.errors);

    // Select\Current names a missing control set: fall back, say so.
    let hive = synthetic_hive(
        vec![
            k("Select", vec![dword("Current", 3)], vec![]),
            chain(
                "ControlSet001\\Control\\ComputerName\\ComputerName",
                vec![val("ComputerName", sz("PC7"))],
            ),
        ],
        (3, 3),
    );
    let f = read_synthetic(tmp.path(), "sys_fallback", &hive);
    assert_eq!(f.current_control_set, Some(3));
    assert_eq!(f.computer_name, s("PC7"));
    assert!(
        f.errors.iter().any(|e| e.contains("ControlSet003")),
        "{:?}",
        f.errors
    );
    assert!(
        f.notes.iter().any(|n| n.contains("ControlSet001")),
        "{:?}",
        f.notes
    );
    assert!(
        f.errors
            .iter()
            .any(|e| e.contains("ProductOptions: key not found"))
    );
}

#[test]
fn hive_synthetic_security_and_sam_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let mut sid = vec![1u8, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0];
    sid.extend([7u32, 8, 9].iter().flat_map(|n| n.to_le_bytes()));
    let mut name = vec![6u8, 0, 8, 0, 8, 0, 0, 0];
    name.extend("PC9".encode_utf16().flat_map(u16::to_le_bytes));
    let mut too_long = name.clone();
    too_long[0] = 200;
    let hive = synthetic_hive(
        vec![
            k("Cache", vec![], vec![]),
            k(
                "Policy",
                vec![],
                vec![
                    k("PolAcDmS", vec![("", REG_NONE, sid.clone())], vec![]),
                    k("PolAcDmN", vec![("", REG_NONE, name)], vec![]),
                    k("PolPrDmN", vec![("", REG_NONE, too_long)], vec![]),
                    k("PolPrDmS", vec![("", REG_NONE, vec![1, 4, 0])], vec![]),
                ],
            ),
            k("RXACT", vec![], vec![]),
        ],
        (9, 8),
    );
    let f = read_synthetic(tmp.path(), "sec", &hive);
    assert_eq!(f.hive_type, Some(HiveType::Security));
    assert_eq!(f.machine_sid, s("S-1-5-21-7-8-9"));
    assert_eq!(f.account_domain_name, s("PC9"));
    assert_eq!(f.primary_domain_name, None);
    assert_eq!(f.primary_domain_sid, None);
    assert!(f.dirty);
    assert!(
        f.errors.iter().any(|e| e.contains("Policy\\PolPrDmN")),
        "{:?}",
        f.errors
    );
    assert!(
        f.errors.iter().any(|e| e.contains("Policy\\PolPrDmS")),
        "{:?}",
        f.errors
    );
    assert!(f.notes.iter().any(|n| n.contains("logs not applied")));

    // SAM V whose descriptor points outside V: the tail SID is used, and both are said.
    let mut v = vec![0u8; 0x30];
    v[12..16].copy_from_slice(&0x1000u32.to_le_bytes());
    v[16..20].copy_from_slice(&24u32.to_le_bytes());
    v.extend(&sid);
    let hive = synthetic_hive(
        vec![chain("SAM\\Domains\\Account", vec![("V", 3, v)])],
        (1, 1),
    );
    let f = read_synthetic(tmp.path(), "sam", &hive);
    assert_eq!(f.hive_type, Some(HiveType::Sam));
    assert_eq!(f.machine_sid, s("S-1-5-21-7-8-9"));
    assert_eq!(f.sam_descriptor_matches_tail, None);
    assert!(
        f.errors.iter().any(|e| e.contains("descriptor 1")),
        "{:?}",
        f.errors
    );
    assert!(f.notes.iter().any(|n| n.contains("last 24 bytes")));

    // A V too short for anything.
    let hive = synthetic_hive(
        vec![chain("SAM\\Domains\\Account", vec![("V", 3, vec![1; 10])])],
        (1, 1),
    );
    let f = read_synthetic(tmp.path(), "sam_short", &hive);
    assert_eq!(f.machine_sid, None);
    assert!(!f.errors.is_empty());

    // Neither SAM, SECURITY, SYSTEM nor SOFTWARE.
    let hive = synthetic_hive(vec![chain("Software\\Microsoft", vec![])], (1, 1));
    let f = read_synthetic(tmp.path(), "ntuser", &hive);
    assert_eq!(f.hive_type, Some(HiveType::Unknown));
    assert!(f.notes.iter().any(|n| n.contains("not recognized")));
    assert_eq!(f.key_count, 3);
}
