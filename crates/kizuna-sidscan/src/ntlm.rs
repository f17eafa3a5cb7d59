//! The two NTLM messages kizuna writes itself ([MS-NLMP] 2.2.1): a NEGOTIATE_MESSAGE that
//! asks for the server's version (its CHALLENGE_MESSAGE then says which Windows build it
//! runs), and the anonymous AUTHENTICATE_MESSAGE of a null session (3.1.5.1.2: an LM
//! response of one zero byte, everything else empty). Signed sessions are left to smb2.

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
const REQUEST_TARGET: u32 = 0x0000_0004;
const NEGOTIATE_NTLM: u32 = 0x0000_0200;
const NEGOTIATE_ANONYMOUS: u32 = 0x0000_0800;
const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
const EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
const NEGOTIATE_VERSION: u32 = 0x0200_0000;
const NEGOTIATE_128: u32 = 0x2000_0000;
const NEGOTIATE_56: u32 = 0x8000_0000;
/// NTLMSSP_REVISION_W2K3, the only revision defined.
const REVISION: u8 = 15;

/// A server's version from its CHALLENGE_MESSAGE (2.2.2.10): Windows says its major and
/// minor version and build number (no update revision); Samba says 6.1 build 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
    pub build: u16,
}

impl Version {
    /// The Windows build, when the version names one (Samba and other non-Windows
    /// servers give 0).
    pub fn windows_build(&self) -> Option<u32> {
        (self.major >= 6 && self.build >= 1000).then_some(u32::from(self.build))
    }
}

/// NEGOTIATE_MESSAGE asking for the server's version (and NTLMv2 with extended session
/// security, as every client since Windows Vista).
pub fn negotiate() -> Vec<u8> {
    let flags = NEGOTIATE_UNICODE
        | REQUEST_TARGET
        | NEGOTIATE_NTLM
        | NEGOTIATE_ALWAYS_SIGN
        | EXTENDED_SESSIONSECURITY
        | NEGOTIATE_VERSION
        | NEGOTIATE_128
        | NEGOTIATE_56;
    let mut m = Vec::with_capacity(40);
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&flags.to_le_bytes());
    // DomainNameFields and WorkstationFields: empty, at the end of the message
    for _ in 0..2 {
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&40u32.to_le_bytes());
    }
    // our Version: 10.0, build 0, revision 15 (the field is informational)
    m.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, REVISION]);
    m
}

/// The server's version in a CHALLENGE_MESSAGE, when it gives one.
pub fn challenge_version(challenge: &[u8]) -> Option<Version> {
    if challenge.len() < 56 || &challenge[..8] != SIGNATURE {
        return None;
    }
    let kind = u32::from_le_bytes(challenge[8..12].try_into().ok()?);
    let flags = u32::from_le_bytes(challenge[20..24].try_into().ok()?);
    if kind != 2 || flags & NEGOTIATE_VERSION == 0 {
        return None;
    }
    let v = &challenge[48..56];
    Some(Version {
        major: v[0],
        minor: v[1],
        build: u16::from_le_bytes([v[2], v[3]]),
    })
}

/// The anonymous AUTHENTICATE_MESSAGE: LmChallengeResponse one zero byte, NT response,
/// domain, user, workstation and session key empty.
pub fn anonymous() -> Vec<u8> {
    const HEADER: u32 = 64;
    let flags = NEGOTIATE_UNICODE
        | REQUEST_TARGET
        | NEGOTIATE_NTLM
        | NEGOTIATE_ANONYMOUS
        | NEGOTIATE_ALWAYS_SIGN
        | EXTENDED_SESSIONSECURITY
        | NEGOTIATE_128
        | NEGOTIATE_56;
    let field = |m: &mut Vec<u8>, len: u16, offset: u32| {
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&offset.to_le_bytes());
    };
    let mut m = Vec::with_capacity(65);
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&3u32.to_le_bytes());
    field(&mut m, 1, HEADER); // LmChallengeResponse: Z(1)
    for _ in 0..5 {
        // NtChallengeResponse, DomainName, UserName, Workstation, EncryptedRandomSessionKey
        field(&mut m, 0, HEADER + 1);
    }
    m.extend_from_slice(&flags.to_le_bytes());
    m.push(0);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_negotiate_message_asks_for_the_version() {
        let m = negotiate();
        assert_eq!(m.len(), 40);
        assert_eq!(&m[..12], b"NTLMSSP\0\x01\0\0\0");
        let flags = u32::from_le_bytes(m[12..16].try_into().unwrap());
        assert_ne!(flags & NEGOTIATE_VERSION, 0);
        assert_eq!(m[39], REVISION);
    }

    /// A CHALLENGE_MESSAGE laid out as [MS-NLMP] 2.2.1.2 says, with `version` at 48.
    fn challenge(flags: u32, version: [u8; 8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(SIGNATURE);
        m.extend_from_slice(&2u32.to_le_bytes());
        m.extend_from_slice(&[0, 0, 0, 0, 56, 0, 0, 0]); // TargetNameFields
        m.extend_from_slice(&flags.to_le_bytes());
        m.extend_from_slice(&[0x11; 8]); // ServerChallenge
        m.extend_from_slice(&[0; 8]); // Reserved
        m.extend_from_slice(&[0, 0, 0, 0, 56, 0, 0, 0]); // TargetInfoFields
        m.extend_from_slice(&version);
        m
    }

    #[test]
    fn a_challenge_gives_the_servers_build() {
        // Windows Server 2025: 10.0 build 26100 (0x65F4)
        let v = challenge_version(&challenge(
            NEGOTIATE_VERSION,
            [10, 0, 0xF4, 0x65, 0, 0, 0, 15],
        ))
        .unwrap();
        assert_eq!((v.major, v.minor, v.build), (10, 0, 26100));
        assert_eq!(v.windows_build(), Some(26100));
        // Samba: 6.1 build 0, no Windows build
        let samba = challenge_version(&challenge(NEGOTIATE_VERSION, [6, 1, 0, 0, 0, 0, 0, 15]));
        assert_eq!(samba.unwrap().windows_build(), None);
        // no version flag, a short or foreign message: nothing
        assert_eq!(
            challenge_version(&challenge(0, [10, 0, 0xF4, 0x65, 0, 0, 0, 15])),
            None
        );
        assert_eq!(
            challenge_version(&challenge(NEGOTIATE_VERSION, [0; 8])[..50]),
            None
        );
        assert_eq!(
            challenge_version(b"not ntlm at all, but long enough to be read as one........"),
            None
        );
    }

    #[test]
    fn the_anonymous_message_is_one_zero_byte_and_empty_fields() {
        let m = anonymous();
        assert_eq!(m.len(), 65);
        assert_eq!(&m[12..20], &[1, 0, 1, 0, 64, 0, 0, 0]);
        for f in 0..5 {
            let at = 20 + f * 8;
            assert_eq!(&m[at..at + 8], &[0, 0, 0, 0, 65, 0, 0, 0], "field {f}");
        }
        let flags = u32::from_le_bytes(m[60..64].try_into().unwrap());
        assert_ne!(flags & NEGOTIATE_ANONYMOUS, 0);
        assert_eq!(m[64], 0);
    }
}
