//! The LSA remote protocol as PsGetSid uses it, as bytes in and out: no transport.
//!
//! [`rpc`] builds and parses the connection-oriented DCE/RPC PDUs (C706 ch. 12; MS-RPCE
//! 2.2.2) that travel over the `\PIPE\lsarpc` named pipe: a bind to LSARPC
//! (12345778-1234-ABCD-EF00-0123456789AB v0.0, NDR 2.0), requests and their responses or
//! faults, fragments reassembled. [`lsa`] encodes and decodes the NDR stubs of the three calls
//! a machine-SID query needs (MS-LSAD 3.1.4): `LsarOpenPolicy2` (opnum 44),
//! `LsarQueryInformationPolicy` (opnum 7; Samba's standalone lsarpc refuses opnum 46) for the
//! account domain (level 5: the machine SID, the domain's on a DC) and the primary domain
//! (level 3), and `LsarClose` (opnum 0).
//!
//! Every decoder checks lengths before it reads and returns where a reply went wrong; a
//! hostile or broken server cannot make it panic or allocate more than the reply's size.

pub mod lsa;
mod ndr;
pub mod rpc;

pub use lsa::{DomainInfo, LsaError, PolicyHandle};
pub use rpc::RpcError;
