//! Connection-oriented DCE/RPC PDUs (C706 ch. 12, MS-RPCE 2.2.2): the bind to LSARPC, a
//! request, and the response or fault that answers it. Little-endian data
//! representation, no authentication (the SMB session under the pipe authenticates).

use crate::ndr::{NdrError, Reader, Writer};

/// LSARPC's interface: 12345778-1234-ABCD-EF00-0123456789AB, version 0.0 (MS-LSAD 1.9).
const LSARPC: [u8; 16] = uuid(
    0x1234_5778,
    0x1234,
    0xABCD,
    [0xEF, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB],
);
/// The NDR 2.0 transfer syntax: 8A885D04-1CEB-11C9-9FE8-08002B104860, version 2.
const NDR20: [u8; 16] = uuid(
    0x8A88_5D04,
    0x1CEB,
    0x11C9,
    [0x9F, 0xE8, 0x08, 0x00, 0x2B, 0x10, 0x48, 0x60],
);

/// The largest fragment either side sends (what Windows and Samba offer on a pipe).
pub const MAX_FRAGMENT: u16 = 4280;

const PTYPE_REQUEST: u8 = 0;
const PTYPE_RESPONSE: u8 = 2;
const PTYPE_FAULT: u8 = 3;
const PTYPE_BIND: u8 = 11;
const PTYPE_BIND_ACK: u8 = 12;
const PTYPE_BIND_NAK: u8 = 13;
const FIRST_FRAG: u8 = 0x01;
const LAST_FRAG: u8 = 0x02;
const HEADER: usize = 16;

/// A GUID in its wire form: the first three fields little-endian.
const fn uuid(a: u32, b: u16, c: u16, d: [u8; 8]) -> [u8; 16] {
    let a = a.to_le_bytes();
    let b = b.to_le_bytes();
    let c = c.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d[0], d[1], d[2], d[3], d[4], d[5], d[6],
        d[7],
    ]
}

/// Why an RPC exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    #[error("not a DCE/RPC reply: {0}")]
    Malformed(String),
    #[error("the server refused to bind to LSARPC (bind_nak, reason {0})")]
    BindRefused(u16),
    #[error("the server did not accept the LSARPC interface (result {result}, reason {reason})")]
    SyntaxRefused { result: u16, reason: u16 },
    #[error("RPC fault {}", fault_text(*.0))]
    Fault(u32),
    #[error("reply to call {got}, expected call {expected}")]
    WrongCall { expected: u32, got: u32 },
    #[error("reply stub: {0}")]
    Stub(#[from] NdrError),
}

/// `0x1c010002 (nca_s_op_rng_error: …)`, the name when known.
fn fault_text(status: u32) -> String {
    match fault_name(status) {
        Some(n) => format!("{status:#010x} ({n})"),
        None => format!("{status:#010x}"),
    }
}

/// Names of the faults a query meets (C706 Appendix E, MS-RPCE 3.1.1.5.5).
pub fn fault_name(status: u32) -> Option<&'static str> {
    Some(match status {
        0x1C01_0002 => "nca_s_op_rng_error: the server does not offer this operation",
        0x1C01_0003 => "nca_s_unk_if: unknown interface",
        0x0000_0005 => "access denied",
        0x0000_06F7 => "RPC_X_BAD_STUB_DATA",
        0x1C00_001A => "nca_s_fault_remote_no_memory",
        0x0000_06D1 => "RPC_S_PROCNUM_OUT_OF_RANGE",
        _ => return None,
    })
}

fn header(w: &mut Writer, ptype: u8, call_id: u32) {
    // version 5.0, type, first+last fragment, little-endian/ASCII/IEEE, lengths filled later
    w.raw(&[5, 0, ptype, FIRST_FRAG | LAST_FRAG, 0x10, 0, 0, 0]);
    w.raw(&[0, 0, 0, 0]);
    w.raw(&call_id.to_le_bytes());
}

fn finish(mut w: Writer) -> Vec<u8> {
    let len = w.bytes.len() as u16;
    w.bytes[8..10].copy_from_slice(&len.to_le_bytes());
    w.bytes
}

/// The bind PDU: one presentation context (id 0), LSARPC over NDR 2.0.
pub fn bind(call_id: u32) -> Vec<u8> {
    let mut w = Writer::default();
    header(&mut w, PTYPE_BIND, call_id);
    w.u16(MAX_FRAGMENT);
    w.u16(MAX_FRAGMENT);
    w.u32(0); // assoc_group_id: a new association
    w.raw(&[1, 0, 0, 0]); // one context element
    w.u16(0); // context id
    w.raw(&[1, 0]); // one transfer syntax
    w.raw(&LSARPC);
    w.u16(0); // interface version 0.0
    w.u16(0);
    w.raw(&NDR20);
    w.u32(2);
    finish(w)
}

/// A request PDU for `opnum` on context 0 carrying `stub` (one fragment: the LSA requests
/// are far smaller than [`MAX_FRAGMENT`]).
pub fn request(call_id: u32, opnum: u16, stub: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    header(&mut w, PTYPE_REQUEST, call_id);
    w.u32(stub.len() as u32); // alloc_hint
    w.u16(0);
    w.u16(opnum);
    w.raw(stub);
    finish(w)
}

/// One PDU's header fields.
struct Pdu<'a> {
    ptype: u8,
    flags: u8,
    call_id: u32,
    body: &'a [u8],
}

/// The first PDU in `bytes` and what follows it.
fn pdu(bytes: &[u8]) -> Result<(Pdu<'_>, &[u8]), RpcError> {
    if bytes.len() < HEADER {
        return Err(RpcError::Malformed(format!(
            "{} bytes, shorter than a PDU header",
            bytes.len()
        )));
    }
    if bytes[0] != 5 || bytes[1] != 0 {
        return Err(RpcError::Malformed(format!(
            "version {}.{}, not 5.0",
            bytes[0], bytes[1]
        )));
    }
    if bytes[4] & 0xF0 != 0x10 {
        return Err(RpcError::Malformed("big-endian data representation".into()));
    }
    let frag = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let auth = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
    if frag < HEADER || frag > bytes.len() {
        return Err(RpcError::Malformed(format!(
            "fragment length {frag} with {} bytes received",
            bytes.len()
        )));
    }
    // an auth trailer (8 bytes + auth_length) ends the fragment; there is none without
    // RPC-level authentication, but a server may add one
    let body_end = if auth > 0 {
        frag.checked_sub(8 + auth)
            .filter(|e| *e >= HEADER)
            .ok_or_else(|| {
                RpcError::Malformed(format!("auth length {auth} in a {frag}-byte fragment"))
            })?
    } else {
        frag
    };
    Ok((
        Pdu {
            ptype: bytes[2],
            flags: bytes[3],
            call_id: u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]),
            body: &bytes[HEADER..body_end],
        },
        &bytes[frag..],
    ))
}

/// Checks a bind_ack: LSARPC accepted with NDR 2.0 on context 0.
pub fn parse_bind_ack(bytes: &[u8], call_id: u32) -> Result<(), RpcError> {
    let (p, _) = pdu(bytes)?;
    match p.ptype {
        PTYPE_BIND_ACK => {}
        PTYPE_BIND_NAK => {
            let reason = p
                .body
                .get(..2)
                .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
            return Err(RpcError::BindRefused(reason));
        }
        t => {
            return Err(RpcError::Malformed(format!(
                "PDU type {t}, expected bind_ack"
            )));
        }
    }
    if p.call_id != call_id {
        return Err(RpcError::WrongCall {
            expected: call_id,
            got: p.call_id,
        });
    }
    let mut r = Reader::new(p.body);
    r.u16()?; // max_xmit_frag
    r.u16()?; // max_recv_frag
    r.u32()?; // assoc_group_id
    let port_len = r.u16()? as usize;
    r.bytes(port_len)?; // secondary address (\PIPE\lsass)
    // results start 4-aligned counted from the start of the PDU (header included)
    while !(HEADER + r.at()).is_multiple_of(4) {
        r.u8()?;
    }
    let n = r.u8()?;
    r.u8()?;
    r.u16()?;
    if n == 0 {
        return Err(RpcError::Malformed("bind_ack with no result".into()));
    }
    let result = r.u16()?;
    let reason = r.u16()?;
    if result != 0 {
        return Err(RpcError::SyntaxRefused { result, reason });
    }
    let syntax = r.bytes(16)?;
    if syntax != NDR20 {
        return Err(RpcError::Malformed(
            "accepted a transfer syntax other than NDR 2.0".into(),
        ));
    }
    Ok(())
}

/// Where a reply stands after one more read from the pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The stub so far; more fragments follow.
    More,
    /// The whole stub.
    Done(Vec<u8>),
}

/// Reassembles the response to one request from the bytes read off the pipe.
#[derive(Debug)]
pub struct Response {
    call_id: u32,
    stub: Vec<u8>,
    pending: Vec<u8>,
    /// The largest stub accepted: a reply announcing more is refused, not buffered.
    limit: usize,
}

impl Response {
    /// Waits for the answer to `call_id`, holding at most `limit` bytes of stub.
    pub fn new(call_id: u32, limit: usize) -> Response {
        Response {
            call_id,
            stub: Vec::new(),
            pending: Vec::new(),
            limit,
        }
    }

    /// Takes bytes read from the pipe; a fault ends the call with its status.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Reply, RpcError> {
        self.pending.extend_from_slice(bytes);
        loop {
            if self.pending.len() < HEADER {
                return Ok(Reply::More);
            }
            let frag = u16::from_le_bytes([self.pending[8], self.pending[9]]) as usize;
            if self.pending.len() < frag.max(HEADER) {
                return Ok(Reply::More);
            }
            let taken: Vec<u8> = self.pending.drain(..frag.max(HEADER)).collect();
            let (p, _) = pdu(&taken)?;
            if p.call_id != self.call_id {
                return Err(RpcError::WrongCall {
                    expected: self.call_id,
                    got: p.call_id,
                });
            }
            match p.ptype {
                PTYPE_RESPONSE => {
                    // alloc_hint u32, context id u16, cancel count u8, reserved u8
                    let stub = p.body.get(8..).ok_or_else(|| {
                        RpcError::Malformed("a response shorter than its header".into())
                    })?;
                    if self.stub.len() + stub.len() > self.limit {
                        return Err(RpcError::Malformed(format!(
                            "a reply of more than {} bytes",
                            self.limit
                        )));
                    }
                    self.stub.extend_from_slice(stub);
                    if p.flags & LAST_FRAG != 0 {
                        return Ok(Reply::Done(std::mem::take(&mut self.stub)));
                    }
                }
                PTYPE_FAULT => {
                    let status = p
                        .body
                        .get(8..12)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .ok_or_else(|| RpcError::Malformed("a fault without a status".into()))?;
                    return Err(RpcError::Fault(status));
                }
                t => {
                    return Err(RpcError::Malformed(format!(
                        "PDU type {t}, expected a response"
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bind_names_lsarpc_over_ndr() {
        let b = bind(1);
        assert_eq!(b.len(), 72);
        assert_eq!(&b[..4], &[5, 0, 11, 3]);
        assert_eq!(u16::from_le_bytes([b[8], b[9]]), 72);
        // abstract syntax at 32, as Wireshark shows it: 78 57 34 12 34 12 cd ab ef 00 01 23 45 67 89 ab
        assert_eq!(
            &b[32..48],
            &[
                0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67,
                0x89, 0xab
            ]
        );
        assert_eq!(&b[52..56], &[0x04, 0x5d, 0x88, 0x8a]);
    }

    /// A bind_ack as Samba sends it for `\PIPE\lsass`.
    fn ack(result: u16) -> Vec<u8> {
        let mut w = Writer::default();
        header(&mut w, PTYPE_BIND_ACK, 1);
        w.u16(4280);
        w.u16(4280);
        w.u32(0x1234);
        let port = b"\\PIPE\\lsass\0";
        w.u16(port.len() as u16);
        w.raw(port);
        w.align(4);
        w.raw(&[1, 0, 0, 0]);
        w.u16(result);
        w.u16(if result == 0 { 0 } else { 2 });
        w.raw(&NDR20);
        w.u32(2);
        finish(w)
    }

    #[test]
    fn bind_acks_naks_and_refusals() {
        assert_eq!(parse_bind_ack(&ack(0), 1), Ok(()));
        assert_eq!(
            parse_bind_ack(&ack(2), 1),
            Err(RpcError::SyntaxRefused {
                result: 2,
                reason: 2
            })
        );
        assert!(matches!(
            parse_bind_ack(&ack(0), 7),
            Err(RpcError::WrongCall { .. })
        ));
        let mut nak = Writer::default();
        header(&mut nak, PTYPE_BIND_NAK, 1);
        nak.u16(4);
        assert_eq!(
            parse_bind_ack(&finish(nak), 1),
            Err(RpcError::BindRefused(4))
        );
        // every cut of a good ack is an error, never a panic
        let good = ack(0);
        for n in 0..good.len() {
            assert!(parse_bind_ack(&good[..n], 1).is_err(), "{n}");
        }
    }

    fn response(call_id: u32, flags: u8, stub: &[u8]) -> Vec<u8> {
        let mut w = Writer::default();
        header(&mut w, PTYPE_RESPONSE, call_id);
        w.bytes[3] = flags;
        w.u32(stub.len() as u32);
        w.u16(0);
        w.raw(&[0, 0]);
        w.raw(stub);
        finish(w)
    }

    #[test]
    fn responses_are_reassembled_and_faults_named() {
        let mut r = Response::new(3, 1 << 16);
        let first = response(3, FIRST_FRAG, b"abc");
        let last = response(3, LAST_FRAG, b"def");
        // bytes may arrive cut anywhere
        let mut all = first.clone();
        all.extend_from_slice(&last);
        let (a, b) = all.split_at(5);
        assert_eq!(r.push(a), Ok(Reply::More));
        assert_eq!(r.push(b), Ok(Reply::Done(b"abcdef".to_vec())));

        let mut fault = Writer::default();
        header(&mut fault, PTYPE_FAULT, 4);
        fault.u32(0);
        fault.u16(0);
        fault.raw(&[0, 0]);
        fault.u32(0x1C01_0002);
        let mut r = Response::new(4, 1 << 16);
        let e = r.push(&finish(fault)).unwrap_err();
        assert_eq!(e, RpcError::Fault(0x1C01_0002));
        assert!(e.to_string().contains("nca_s_op_rng_error"), "{e}");

        let mut r = Response::new(5, 4);
        assert!(matches!(
            r.push(&response(5, FIRST_FRAG | LAST_FRAG, b"12345")),
            Err(RpcError::Malformed(_))
        ));
    }
}
