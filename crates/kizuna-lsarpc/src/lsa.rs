//! The NDR stubs of the three LSA calls a machine-SID query makes (MS-LSAD 3.1.4.4.1,
//! 3.1.4.4.3, 3.1.4.9.4), requests encoded and replies decoded.

use crate::ndr::{NdrError, Reader, Writer};

pub const OPNUM_CLOSE: u16 = 0;
pub const OPNUM_QUERY_INFORMATION_POLICY: u16 = 7;
pub const OPNUM_OPEN_POLICY2: u16 = 44;

/// POLICY_VIEW_LOCAL_INFORMATION: what reading the account and primary domain needs
/// (MS-LSAD 2.2.1.1.2, 3.1.4.4.3).
pub const POLICY_VIEW_LOCAL_INFORMATION: u32 = 0x0000_0001;

/// POLICY_INFORMATION_CLASS values (MS-LSAD 2.2.4.1).
pub const POLICY_PRIMARY_DOMAIN_INFORMATION: u16 = 3;
pub const POLICY_ACCOUNT_DOMAIN_INFORMATION: u16 = 5;

/// The largest SID a reply may carry: 15 sub-authorities (MS-DTYP 2.4.2).
const MAX_SUB_AUTHORITIES: u32 = 15;
/// The longest domain name read back (NetBIOS names are 15 characters; DNS ones 255).
const MAX_NAME_CHARS: u32 = 256;

/// An open policy's handle (MS-LSAD 2.2.2.1): 20 opaque bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyHandle(pub [u8; 20]);

/// What a call's reply said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LsaError {
    #[error("the server answered NTSTATUS {}", status_text(*.0))]
    Status(u32),
    #[error("reply stub: {0}")]
    Stub(#[from] NdrError),
}

/// `0xC0000022 (STATUS_ACCESS_DENIED)`, the name when known.
fn status_text(status: u32) -> String {
    match status_name(status) {
        Some(n) => format!("{status:#010X} ({n})"),
        None => format!("{status:#010X}"),
    }
}

/// Names of the statuses these calls return (MS-ERREF 2.3.1).
pub fn status_name(status: u32) -> Option<&'static str> {
    Some(match status {
        0xC000_0022 => "STATUS_ACCESS_DENIED",
        0xC000_000D => "STATUS_INVALID_PARAMETER",
        0xC000_0008 => "STATUS_INVALID_HANDLE",
        0xC000_0003 => "STATUS_INVALID_INFO_CLASS",
        0xC000_0002 => "STATUS_NOT_IMPLEMENTED",
        0xC000_009A => "STATUS_INSUFFICIENT_RESOURCES",
        _ => return None,
    })
}

/// A domain as LsarQueryInformationPolicy returns it: its name and, when it has one, its SID
/// (`S-1-5-21-…`; a standalone server's primary domain is a workgroup without one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainInfo {
    pub name: String,
    pub sid: Option<String>,
}

/// LsarOpenPolicy2: no system name (MS-LSAD: ignored on receipt), empty object attributes,
/// `desired_access`.
pub fn open_policy2(desired_access: u32) -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(0); // SystemName: a null unique pointer
    // LSAPR_OBJECT_ATTRIBUTES: Length, RootDirectory, ObjectName, Attributes,
    // SecurityDescriptor, SecurityQualityOfService (all pointers null)
    w.u32(24);
    w.u32(0);
    w.u32(0);
    w.u32(0);
    w.u32(0);
    w.u32(0);
    w.u32(desired_access);
    w.bytes
}

/// The handle LsarOpenPolicy2 returned.
pub fn parse_open_policy2(stub: &[u8]) -> Result<PolicyHandle, LsaError> {
    let mut r = Reader::new(stub);
    let handle = r.bytes(20)?;
    let status = r.u32()?;
    if status != 0 {
        return Err(LsaError::Status(status));
    }
    let mut h = [0u8; 20];
    h.copy_from_slice(handle);
    Ok(PolicyHandle(h))
}

/// LsarQueryInformationPolicy for `class`.
pub fn query_information_policy(handle: &PolicyHandle, class: u16) -> Vec<u8> {
    let mut w = Writer::default();
    w.raw(&handle.0);
    w.u16(class);
    w.bytes
}

/// The account domain (class 5) or primary domain (class 3) in a LsarQueryInformationPolicy
/// reply: both are a RPC_UNICODE_STRING name and a PRPC_SID.
pub fn parse_domain_information(stub: &[u8], class: u16) -> Result<DomainInfo, LsaError> {
    let mut r = Reader::new(stub);
    let referent = r.u32()?;
    if referent == 0 {
        // a null PolicyInformation comes with an error status
        let status = r.u32()?;
        return Err(LsaError::Status(if status == 0 {
            0xC000_0001
        } else {
            status
        }));
    }
    let level = r.u16()?;
    if level != class {
        return Err(r
            .bad(format!("information class {level}, asked for {class}"))
            .into());
    }
    // LSAPR_POLICY_ACCOUNT_DOM_INFO / LSAPR_POLICY_PRIMARY_DOM_INFO
    r.align(4)?;
    let length = r.u16()?;
    let _maximum = r.u16()?;
    let buffer = r.u32()?;
    let sid_ptr = r.u32()?;
    let name = if buffer != 0 {
        read_counted_string(&mut r, length)?
    } else {
        String::new()
    };
    let sid = if sid_ptr != 0 {
        Some(read_sid(&mut r)?)
    } else {
        None
    };
    let status = r.u32()?;
    if status != 0 {
        return Err(LsaError::Status(status));
    }
    Ok(DomainInfo { name, sid })
}

/// The deferred buffer of a RPC_UNICODE_STRING: a conformant varying array of `length` bytes.
fn read_counted_string(r: &mut Reader<'_>, length: u16) -> Result<String, NdrError> {
    let max = r.u32()?;
    let offset = r.u32()?;
    let actual = r.u32()?;
    if offset != 0 || actual > max || actual > MAX_NAME_CHARS || u32::from(length) > actual * 2 {
        return Err(r.bad(format!(
            "a name array of max {max}, offset {offset}, {actual} characters, length {length} bytes"
        )));
    }
    let bytes = r.bytes(actual as usize * 2)?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .take(usize::from(length) / 2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(String::from_utf16_lossy(&units))
}

/// A RPC_SID (MS-DTYP 2.4.2.3) as `S-1-…`: a conformant structure, its count first.
fn read_sid(r: &mut Reader<'_>) -> Result<String, NdrError> {
    let count = r.u32()?;
    let revision = r.u8()?;
    let sub_count = r.u8()?;
    if revision != 1 || u32::from(sub_count) != count || count > MAX_SUB_AUTHORITIES {
        return Err(r.bad(format!(
            "a SID of revision {revision} with {sub_count} of {count} sub-authorities"
        )));
    }
    let authority = r.bytes(6)?;
    let authority = authority.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
    let mut sid = format!("S-1-{authority}");
    for _ in 0..count {
        sid.push_str(&format!("-{}", r.u32()?));
    }
    Ok(sid)
}

/// LsarClose.
pub fn close(handle: &PolicyHandle) -> Vec<u8> {
    handle.0.to_vec()
}

/// The status LsarClose returned.
pub fn parse_close(stub: &[u8]) -> Result<(), LsaError> {
    let mut r = Reader::new(stub);
    r.bytes(20)?;
    match r.u32()? {
        0 => Ok(()),
        s => Err(LsaError::Status(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A LsarQueryInformationPolicy reply for class 5 as MS-LSAD and NDR lay it out: the
    /// PolicyInformation pointer, the union's discriminant, the name's RPC_UNICODE_STRING and
    /// the SID pointer, then the deferred name and SID, then the status.
    pub(super) fn reply(class: u16, name: &str, sid: Option<&[u32]>, status: u32) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(0x0002_0000);
        w.u16(class);
        w.align(4);
        let units: Vec<u16> = name.encode_utf16().collect();
        w.u16((units.len() * 2) as u16);
        w.u16((units.len() * 2 + 2) as u16);
        w.u32(0x0002_0004);
        w.u32(if sid.is_some() { 0x0002_0008 } else { 0 });
        // size_is(MaximumLength/2), length_is(Length/2): the terminator is not sent
        w.u32(units.len() as u32 + 1);
        w.u32(0);
        w.u32(units.len() as u32);
        for u in &units {
            w.raw(&u.to_le_bytes());
        }
        if let Some(subs) = sid {
            w.u32(subs.len() as u32);
            w.raw(&[1, subs.len() as u8, 0, 0, 0, 0, 0, 5]);
            for s in subs {
                w.u32(*s);
            }
        }
        w.u32(status);
        w.bytes
    }

    #[test]
    fn the_account_domain_gives_the_machine_sid() {
        let stub = reply(
            5,
            "SIDHOST1",
            Some(&[21, 1111111111, 2222222222, 3333333333]),
            0,
        );
        assert_eq!(
            parse_domain_information(&stub, 5),
            Ok(DomainInfo {
                name: "SIDHOST1".into(),
                sid: Some("S-1-5-21-1111111111-2222222222-3333333333".into())
            })
        );
        // a workgroup's primary domain: a name, no SID
        let stub = reply(3, "SIDLAB", None, 0);
        assert_eq!(
            parse_domain_information(&stub, 3),
            Ok(DomainInfo {
                name: "SIDLAB".into(),
                sid: None
            })
        );
        assert!(matches!(
            parse_domain_information(&stub, 5),
            Err(LsaError::Stub(_))
        ));
        // every cut is an error, never a panic; so is every single changed byte that breaks
        // the layout (the others decode to some other value)
        let good = reply(5, "PC-0042", Some(&[21, 1, 2, 3]), 0);
        for n in 0..good.len() {
            assert!(parse_domain_information(&good[..n], 5).is_err(), "{n}");
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] = 0xFF;
            let _ = parse_domain_information(&bad, 5);
        }
    }

    #[test]
    fn statuses_are_errors_with_their_names() {
        let mut open = vec![0u8; 20];
        open.extend_from_slice(&0xC000_0022u32.to_le_bytes());
        let e = parse_open_policy2(&open).unwrap_err();
        assert_eq!(e, LsaError::Status(0xC000_0022));
        assert!(e.to_string().contains("STATUS_ACCESS_DENIED"), "{e}");
        let mut ok = vec![7u8; 20];
        ok.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(parse_open_policy2(&ok), Ok(PolicyHandle([7; 20])));

        // a null PolicyInformation with its status
        let mut null = 0u32.to_le_bytes().to_vec();
        null.extend_from_slice(&0xC000_0003u32.to_le_bytes());
        assert_eq!(
            parse_domain_information(&null, 5),
            Err(LsaError::Status(0xC000_0003))
        );
        assert_eq!(
            parse_domain_information(&reply(5, "X", None, 0xC000_0022), 5),
            Err(LsaError::Status(0xC000_0022))
        );
    }

    #[test]
    fn requests_are_laid_out_as_ms_lsad_says() {
        let open = open_policy2(POLICY_VIEW_LOCAL_INFORMATION);
        assert_eq!(open.len(), 32);
        assert_eq!(&open[4..8], &24u32.to_le_bytes());
        assert_eq!(&open[28..32], &1u32.to_le_bytes());
        let h = PolicyHandle([9; 20]);
        let q = query_information_policy(&h, POLICY_ACCOUNT_DOMAIN_INFORMATION);
        assert_eq!(q.len(), 22);
        assert_eq!(&q[20..], &[5, 0]);
        assert_eq!(close(&h), vec![9; 20]);
    }
}

/// Samba's own NDR parser (ndrdump) reads what kizuna sends and the replies it decodes the
/// way kizuna lays them out.
#[cfg(test)]
mod samba {
    use super::*;
    use kizuna_testbed::ndrdump::dump;

    #[test]
    fn samba_reads_our_requests_and_our_reply_layout() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: Vec<u8>| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let open = file("open.in", open_policy2(POLICY_VIEW_LOCAL_INFORMATION));
        let text = dump("lsarpc", "lsa_OpenPolicy2", "in", &open, None).unwrap();
        assert!(
            text.contains("system_name              : NULL")
                && text.contains("len                      : 0x00000018 (24)")
                && text.contains("1: LSA_POLICY_VIEW_LOCAL_INFORMATION"),
            "{text}"
        );

        let handle = PolicyHandle([9; 20]);
        let query = file(
            "query.in",
            query_information_policy(&handle, POLICY_ACCOUNT_DOMAIN_INFORMATION),
        );
        let text = dump("lsarpc", "lsa_QueryInfoPolicy", "in", &query, None).unwrap();
        assert!(
            text.contains("level                    : LSA_POLICY_INFO_ACCOUNT_DOMAIN (5)"),
            "{text}"
        );
        let reply = file(
            "query.out",
            tests::reply(
                5,
                "SIDHOST1",
                Some(&[21, 1111111111, 2222222222, 3333333333]),
                0,
            ),
        );
        let text = dump("lsarpc", "lsa_QueryInfoPolicy", "out", &reply, Some(&query)).unwrap();
        assert!(
            text.contains("string                   : 'SIDHOST1'")
                && text.contains(
                    "sid                      : S-1-5-21-1111111111-2222222222-3333333333"
                )
                && text.contains("result                   : NT_STATUS_OK"),
            "{text}"
        );
        // and a layout Samba refuses is refused by ours too
        let mut broken = std::fs::read(&reply).unwrap();
        broken[24] = 0xFF; // the name's actual count
        let broken = file("broken.out", broken);
        assert!(
            dump(
                "lsarpc",
                "lsa_QueryInfoPolicy",
                "out",
                &broken,
                Some(&query)
            )
            .is_err()
        );
        assert!(parse_domain_information(&std::fs::read(&broken).unwrap(), 5).is_err());

        let close = file("close.in", close(&handle));
        let text = dump("lsarpc", "lsa_Close", "in", &close, None).unwrap();
        assert!(
            text.contains("handle_type              : 0x09090909"),
            "{text}"
        );
    }
}
