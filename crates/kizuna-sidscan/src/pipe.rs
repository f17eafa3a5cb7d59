//! The exchange itself: a TCP probe (to tell a closed port from a silent host), the SMB
//! session, the `lsarpc` pipe on `IPC$`, and the LSA calls written to it and read back as
//! whole pipe messages.

use std::future::Future;
use std::time::Duration;

use kizuna_lsarpc::{lsa, rpc};
use smb2::ErrorKind;
use smb2::client::session::Session;
use smb2::client::tree::Tree;
use smb2::msg::close::CloseRequest;
use smb2::msg::create::{
    CreateDisposition, CreateRequest, CreateResponse, ImpersonationLevel, ShareAccess,
};
use smb2::msg::read::{ReadRequest, ReadResponse, SMB2_CHANNEL_NONE};
use smb2::msg::session_setup::{
    SessionSetupRequest, SessionSetupRequestFlags, SessionSetupResponse,
};
use smb2::msg::write::WriteRequest;
use smb2::pack::{ReadCursor, Unpack};
use smb2::types::SessionId;
use smb2::types::flags::FileAccessMask;
use smb2::types::flags::{Capabilities, SecurityMode};
use smb2::types::status::NtStatus;
use smb2::types::{Command, FileId, OplockLevel, TreeId};

use crate::{Answer, Credentials, Failure, ntlm};

/// The largest reply read from the pipe (an LSA reply is a few hundred bytes).
const REPLY_LIMIT: usize = 64 * 1024;

async fn within<T>(limit: Duration, f: impl Future<Output = smb2::Result<T>>) -> smb2::Result<T> {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or(Err(smb2::Error::Timeout))
}

/// `DOMAIN\user` / `user@domain` / `user` as smb2's user and domain (a local account of the
/// host when no domain is named).
fn identity(name: &str) -> (String, String) {
    if let Some((d, u)) = name.split_once('\\') {
        (u.to_string(), d.to_string())
    } else if let Some((u, d)) = name.rsplit_once('@') {
        (u.to_string(), d.to_string())
    } else {
        (name.to_string(), String::new())
    }
}

/// `host:port` as one socket address, or why not; resolved without blocking the other
/// queries, within `timeout`.
async fn address(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<std::net::SocketAddr, Failure> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok((ip, port).into());
    }
    let found = tokio::time::timeout(timeout, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| Failure::Name(format!("{host}: no answer from DNS within the timeout")))?
        .map_err(|e| Failure::Name(format!("{host}: {e}")))?;
    // IPv4 first: the address a Windows client would most likely use too.
    let mut all: Vec<_> = found.collect();
    all.sort_by_key(|a| !a.is_ipv4());
    all.into_iter()
        .next()
        .ok_or_else(|| Failure::Name(format!("{host}: no address")))
}

pub(crate) async fn query(
    host: &str,
    port: u16,
    credentials: &Credentials,
    timeout: Duration,
) -> Result<Answer, Failure> {
    let secs = timeout.as_secs().max(1);
    let addr = address(host, port, timeout).await?;
    // A plain connect first: smb2 reports refused, unreachable and silent alike.
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Err(_) => return Err(Failure::NoAnswer { port, secs }),
        Ok(Err(e)) => {
            return Err(match e.kind() {
                std::io::ErrorKind::ConnectionRefused => Failure::PortClosed(port),
                std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
                    Failure::NoRoute(e.to_string())
                }
                std::io::ErrorKind::TimedOut => Failure::NoAnswer { port, secs },
                _ => Failure::NoRoute(e.to_string()),
            });
        }
        Ok(Ok(probe)) => drop(probe),
    }
    let (username, password, domain, who) = match credentials {
        Credentials::Anonymous => (
            String::new(),
            String::new(),
            String::new(),
            "a null session".to_string(),
        ),
        Credentials::User { name, password } => {
            let (u, d) = identity(name);
            (u, password.expose().to_string(), d, name.clone())
        }
    };
    let scrub = |text: String| {
        if password.len() >= 3 {
            text.replace(password.as_str(), "***")
        } else {
            text
        }
    };
    let refused = |e: smb2::Error| {
        let text = scrub(e.to_string());
        match e.kind() {
            ErrorKind::TimedOut => Failure::NoAnswer { port, secs },
            ErrorKind::AuthRequired | ErrorKind::GuestSessionRefused => {
                Failure::Logon(format!("signing in as {who} refused: {text}"))
            }
            _ if text.contains("LOGON_FAILURE") => {
                Failure::Logon(format!("signing in as {who} refused: {text}"))
            }
            _ => Failure::Smb(text),
        }
    };
    let mut conn = within(timeout, Conn::connect(&addr.to_string(), timeout))
        .await
        .map_err(refused)?;
    conn.set_response_timeout(Some(timeout));
    within(timeout, conn.negotiate()).await.map_err(refused)?;
    // Our own first round: its challenge names the host's build. A signed sign-in then
    // starts a session of its own on this connection (this one is left unfinished).
    let challenge = session_setup(&conn, ntlm::negotiate(), timeout).await?;
    let version = ntlm::challenge_version(&challenge.security_buffer);
    match credentials {
        Credentials::Anonymous => {
            conn.set_session_id(challenge.session_id);
            let done = session_setup(&conn, ntlm::anonymous(), timeout).await;
            if let Err(Failure::Logon(why) | Failure::AccessDenied(why)) = done {
                return Err(Failure::Logon(format!(
                    "no null session ({why}): the host refuses anonymous sign-in, as Windows \
                     does by default; give --user"
                )));
            }
            done?;
        }
        Credentials::User { .. } => {
            within(
                timeout,
                Session::setup(&mut conn, &username, &password, &domain),
            )
            .await
            .map_err(refused)?;
        }
    }
    let tree = within(timeout, Tree::connect(&mut conn, "IPC$"))
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::AccessDenied => match credentials {
                Credentials::Anonymous => Failure::AccessDenied(
                    "IPC$ refused to a null session, as Windows refuses it by default; give --user"
                        .to_string(),
                ),
                Credentials::User { .. } => Failure::AccessDenied(format!("IPC$ as {who}")),
            },
            _ => Failure::Smb(format!("IPC$: {}", scrub(e.to_string()))),
        })?;
    let conn = &mut conn;
    let tree_id = tree.tree_id;
    let file = open_pipe(conn, tree_id, timeout).await?;
    let answer = lsa_calls(conn, tree_id, file, timeout).await;
    let _ = within(
        timeout,
        conn.execute(
            Command::Close,
            &CloseRequest {
                flags: 0,
                file_id: file,
            },
            Some(tree_id),
        ),
    )
    .await;
    answer.map(|mut a| {
        a.os = version;
        a
    })
}

/// What a SESSION_SETUP round gave back: the session it belongs to and the server's token.
struct Round {
    session_id: SessionId,
    security_buffer: Vec<u8>,
}

/// One SESSION_SETUP round with our own NTLM token; "more processing required" and
/// success are answers, any other status is why the sign-in failed.
async fn session_setup(conn: &Conn, token: Vec<u8>, timeout: Duration) -> Result<Round, Failure> {
    let req = SessionSetupRequest {
        flags: SessionSetupRequestFlags(0),
        security_mode: SecurityMode::new(SecurityMode::SIGNING_ENABLED),
        capabilities: Capabilities::default(),
        channel: 0,
        previous_session_id: 0,
        security_buffer: token,
    };
    let frame = within(timeout, conn.execute(Command::SessionSetup, &req, None))
        .await
        .map_err(|e| smb_status(&e.to_string()))?;
    let status = frame.header.status;
    if status.is_error() && !status.is_more_processing_required() {
        return Err(smb_status(&format!("{status:?}")));
    }
    let resp = SessionSetupResponse::unpack(&mut ReadCursor::new(&frame.body))
        .map_err(|e| Failure::Smb(format!("session setup: {e}")))?;
    Ok(Round {
        session_id: frame.header.session_id,
        security_buffer: resp.security_buffer,
    })
}

/// A refused sign-in by its status.
fn smb_status(text: &str) -> Failure {
    if text.contains("LOGON_FAILURE") {
        Failure::Logon(text.to_string())
    } else if text.contains("ACCESS_DENIED") {
        Failure::AccessDenied(text.to_string())
    } else {
        Failure::Smb(format!("session setup: {text}"))
    }
}

async fn open_pipe(conn: &mut Conn, tree_id: TreeId, timeout: Duration) -> Result<FileId, Failure> {
    let req = CreateRequest {
        requested_oplock_level: OplockLevel::None,
        impersonation_level: ImpersonationLevel::Impersonation,
        desired_access: FileAccessMask::new(
            FileAccessMask::FILE_READ_DATA | FileAccessMask::FILE_WRITE_DATA,
        ),
        file_attributes: 0,
        share_access: ShareAccess(ShareAccess::FILE_SHARE_READ | ShareAccess::FILE_SHARE_WRITE),
        create_disposition: CreateDisposition::FileOpen,
        create_options: 0,
        name: "lsarpc".to_string(),
        create_contexts: vec![],
    };
    let frame = within(timeout, conn.execute(Command::Create, &req, Some(tree_id)))
        .await
        .map_err(|e| Failure::Smb(format!("opening lsarpc: {e}")))?;
    match frame.header.status {
        NtStatus::SUCCESS => {}
        NtStatus::ACCESS_DENIED => return Err(Failure::AccessDenied("the lsarpc pipe".into())),
        NtStatus::OBJECT_NAME_NOT_FOUND => {
            return Err(Failure::NoPipe(frame.header.status.to_string()));
        }
        s => return Err(Failure::Smb(format!("opening lsarpc: {s}"))),
    }
    let resp = CreateResponse::unpack(&mut ReadCursor::new(&frame.body))
        .map_err(|e| Failure::Smb(format!("opening lsarpc: {e}")))?;
    Ok(resp.file_id)
}

type Conn = smb2::client::connection::Connection;

fn smb(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::Smb(format!("{what} on lsarpc: {e}"))
}

/// Writes one PDU to the pipe.
async fn write_message(
    conn: &mut Conn,
    tree_id: TreeId,
    file_id: FileId,
    pdu: Vec<u8>,
    timeout: Duration,
) -> Result<(), Failure> {
    let write = WriteRequest {
        data_offset: 0x70,
        offset: 0,
        file_id,
        channel: 0,
        remaining_bytes: 0,
        write_channel_info_offset: 0,
        write_channel_info_length: 0,
        flags: 0,
        data: pdu,
    };
    let frame = within(timeout, conn.execute(Command::Write, &write, Some(tree_id)))
        .await
        .map_err(|e| smb("writing", e))?;
    if frame.header.status != NtStatus::SUCCESS {
        return Err(smb("writing", frame.header.status));
    }
    Ok(())
}

/// Reads one whole pipe message: reads go on while the server says BUFFER_OVERFLOW
/// (MS-SMB2 3.3.5.10), up to [`REPLY_LIMIT`] bytes.
async fn read_message(
    conn: &mut Conn,
    tree_id: TreeId,
    file_id: FileId,
    timeout: Duration,
) -> Result<Vec<u8>, Failure> {
    let mut message = Vec::new();
    loop {
        let read = ReadRequest {
            padding: 0x50,
            flags: 0,
            length: 65536,
            offset: 0,
            file_id,
            minimum_count: 0,
            channel: SMB2_CHANNEL_NONE,
            remaining_bytes: 0,
            read_channel_info: vec![],
        };
        let frame = within(timeout, conn.execute(Command::Read, &read, Some(tree_id)))
            .await
            .map_err(|e| smb("reading", e))?;
        let status = frame.header.status;
        if !status.is_success_or_partial() {
            return Err(smb("reading", status));
        }
        let data = ReadResponse::unpack(&mut ReadCursor::new(&frame.body))
            .map_err(|e| smb("reading", e))?
            .data;
        if message.len() + data.len() > REPLY_LIMIT {
            return Err(Failure::Rpc(format!(
                "a reply of more than {REPLY_LIMIT} bytes"
            )));
        }
        message.extend_from_slice(&data);
        if status != NtStatus::BUFFER_OVERFLOW || data.is_empty() {
            return Ok(message);
        }
    }
}

/// One LSA call: the request PDU, then pipe messages until its response is whole.
async fn request(
    conn: &mut Conn,
    tree_id: TreeId,
    file_id: FileId,
    (call_id, opnum, stub): (u32, u16, &[u8]),
    timeout: Duration,
) -> Result<Vec<u8>, Failure> {
    let pdu = rpc::request(call_id, opnum, stub);
    write_message(conn, tree_id, file_id, pdu, timeout).await?;
    let mut reply = rpc::Response::new(call_id, REPLY_LIMIT);
    loop {
        let message = read_message(conn, tree_id, file_id, timeout).await?;
        match reply
            .push(&message)
            .map_err(|e| Failure::Rpc(e.to_string()))?
        {
            rpc::Reply::Done(stub) => return Ok(stub),
            rpc::Reply::More => {}
        }
    }
}

async fn lsa_calls(
    conn: &mut Conn,
    tree_id: TreeId,
    file_id: FileId,
    timeout: Duration,
) -> Result<Answer, Failure> {
    write_message(conn, tree_id, file_id, rpc::bind(1), timeout).await?;
    let ack = read_message(conn, tree_id, file_id, timeout).await?;
    rpc::parse_bind_ack(&ack, 1).map_err(|e| Failure::Rpc(e.to_string()))?;

    let open = lsa::open_policy2(lsa::POLICY_VIEW_LOCAL_INFORMATION);
    let stub = request(
        conn,
        tree_id,
        file_id,
        (2, lsa::OPNUM_OPEN_POLICY2, &open),
        timeout,
    )
    .await?;
    let handle = lsa::parse_open_policy2(&stub).map_err(|e| match e {
        lsa::LsaError::Status(0xC000_0022) => Failure::AccessDenied("LsarOpenPolicy2".into()),
        e => Failure::Rpc(format!("LsarOpenPolicy2: {e}")),
    })?;
    let account = domain(
        conn,
        tree_id,
        file_id,
        &handle,
        3,
        lsa::POLICY_ACCOUNT_DOMAIN_INFORMATION,
        timeout,
    )
    .await?;
    let primary = domain(
        conn,
        tree_id,
        file_id,
        &handle,
        4,
        lsa::POLICY_PRIMARY_DOMAIN_INFORMATION,
        timeout,
    )
    .await?;
    // closing is courtesy: the answer stands whatever it returns
    let close = lsa::close(&handle);
    if let Ok(stub) = request(
        conn,
        tree_id,
        file_id,
        (5, lsa::OPNUM_CLOSE, &close),
        timeout,
    )
    .await
    {
        let _ = lsa::parse_close(&stub);
    }
    Ok(Answer {
        account,
        primary,
        os: None,
    })
}

/// LsarQueryInformationPolicy for `class` (the account or the primary domain).
async fn domain(
    conn: &mut Conn,
    tree_id: TreeId,
    file_id: FileId,
    handle: &lsa::PolicyHandle,
    call_id: u32,
    class: u16,
    timeout: Duration,
) -> Result<kizuna_lsarpc::DomainInfo, Failure> {
    let q = lsa::query_information_policy(handle, class);
    let call = (call_id, lsa::OPNUM_QUERY_INFORMATION_POLICY, q.as_slice());
    let stub = request(conn, tree_id, file_id, call, timeout).await?;
    lsa::parse_domain_information(&stub, class)
        .map_err(|e| Failure::Rpc(format!("LsarQueryInformationPolicy level {class}: {e}")))
}
