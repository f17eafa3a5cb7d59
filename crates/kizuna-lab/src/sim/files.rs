//! The fleet-level files of a lab domain: inventory, PsGetSid output, LDIF of the
//! directory, and each device's registry hives.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::str::FromStr;

use kizuna_core::MachineSid;

use chrono::{DateTime, Duration, Utc};

use super::directory::accounts;
use super::model::{Domain, Machine, OsImage, Role, Sid};
use super::run::Run;
use super::truth::netlogon_parameters;
use crate::Rng;
use crate::hive::{MachineHives, MachineRole, write_machine_hives};

/// Every serving DC, then every member.
fn machines(d: &Domain) -> impl Iterator<Item = &Machine> {
    d.dcs
        .iter()
        .filter(|x| x.demoted.is_none())
        .map(|x| &x.machine)
        .chain(&d.members)
}

fn os_name(img: &OsImage) -> String {
    super::directory::os_name(img.product_name, img.server, img.build)
}

fn csv_quoted(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",")
}

/// A fleet inventory as `Export-Csv -NoTypeInformation -Encoding UTF8` writes it (BOM,
/// quoted fields, CRLF). The OS version lacks the UBR where the inventory tool does not
/// collect it.
pub fn write_inventory(d: &Domain, path: &Path) -> io::Result<()> {
    let mut f = BufWriter::new(File::create(path)?);
    f.write_all(b"\xEF\xBB\xBF")?;
    let header = [
        "ComputerName",
        "DNSHostName",
        "OperatingSystem",
        "OSVersion",
        "Role",
        "Domain",
        "MachineSid",
    ];
    writeln_crlf(&mut f, &csv_quoted(&header.map(String::from)))?;
    let last = d.days.saturating_sub(1);
    for m in machines(d) {
        let img = m.image_on(last);
        let version = if m.collected.inventory_ubr {
            img.version()
        } else {
            format!("10.0.{}", img.build)
        };
        let role = match m.role {
            Role::Workstation => "Workstation",
            Role::Server => "Server",
            Role::Dc => "Domain Controller",
        };
        writeln_crlf(
            &mut f,
            &csv_quoted(&[
                m.name.clone(),
                d.fqdn(&m.name),
                os_name(&img),
                version,
                role.into(),
                d.dns_name.clone(),
                m.sid.to_string(),
            ]),
        )?;
    }
    f.flush()
}

fn writeln_crlf(f: &mut dyn Write, line: &str) -> io::Result<()> {
    f.write_all(line.as_bytes())?;
    f.write_all(b"\r\n")
}

/// `psgetsid \\host1,host2 > psgetsid.txt` from cmd: the banner, then one block per host.
pub fn write_psgetsid(d: &Domain, path: &Path) -> io::Result<()> {
    let mut f = BufWriter::new(File::create(path)?);
    f.write_all(
        b"\r\nPsGetSid v1.46 - Translates SIDs to names and vice versa\r\n\
Copyright (C) 1999-2023 Mark Russinovich\r\nSysinternals - www.sysinternals.com\r\n\r\n",
    )?;
    for m in machines(d).filter(|m| m.collected.psgetsid) {
        write!(f, "SID for \\\\{}:\r\n{}\r\n\r\n", m.name, m.sid)?;
    }
    f.flush()
}

/// Windows FILETIME (100 ns since 1601) as the directory stores times.
fn filetime(t: DateTime<Utc>) -> i64 {
    (t.timestamp() + 11_644_473_600) * 10_000_000 + i64::from(t.timestamp_subsec_nanos() / 100)
}

fn generalized(t: DateTime<Utc>) -> String {
    t.format("%Y%m%d%H%M%S.0Z").to_string()
}

/// The directory as LDIF (`ldifde -f` style, no base64 needed: all values are ASCII):
/// the OUs (not the Domain Controllers OU every domain has) and every computer object of
/// [`accounts`] with the attributes kizuna's directory audit reads. A comment states the
/// export's time (the lab's end), which kizuna takes the directory's ages at.
pub fn write_ldif(d: &Domain, run: &Run, path: &Path) -> io::Result<()> {
    let mut f = BufWriter::new(File::create(path)?);
    let base = d.base_dn();
    let all = accounts(d, run);
    writeln!(f, "version: 1")?;
    writeln!(
        f,
        "# Exported: {}",
        d.end().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )?;
    let mut ous: Vec<String> = Vec::new();
    for a in &all {
        let parts: Vec<&str> = a.ou.split(',').collect();
        for i in (0..parts.len()).rev() {
            let ou = parts[i..].join(",");
            if !ous.contains(&ou) && !ou.eq_ignore_ascii_case("OU=Domain Controllers") {
                ous.push(ou);
            }
        }
    }
    for ou in &ous {
        let name = ou.split(',').next().unwrap_or("").trim_start_matches("OU=");
        writeln!(f)?;
        writeln!(f, "dn: {ou},{base}")?;
        writeln!(f, "objectClass: top")?;
        writeln!(f, "objectClass: organizationalUnit")?;
        writeln!(f, "ou: {name}")?;
    }
    for a in &all {
        writeln!(f)?;
        writeln!(f, "dn: CN={},{},{base}", a.name, a.ou)?;
        for class in ["top", "person", "organizationalPerson", "user", "computer"] {
            writeln!(f, "objectClass: {class}")?;
        }
        writeln!(f, "cn: {}", a.name)?;
        writeln!(f, "sAMAccountName: {}$", a.name)?;
        writeln!(f, "dNSHostName: {}", d.fqdn(&a.name))?;
        writeln!(f, "userAccountControl: {}", a.user_account_control())?;
        writeln!(f, "operatingSystem: {}", a.os_name)?;
        writeln!(f, "operatingSystemVersion: 10.0 ({})", a.build)?;
        writeln!(f, "pwdLastSet: {}", filetime(a.password_set))?;
        writeln!(f, "lastLogonTimestamp: {}", filetime(a.last_logon))?;
        writeln!(f, "whenCreated: {}", generalized(a.created))?;
        if a.encryption_types != 0 {
            writeln!(f, "msDS-SupportedEncryptionTypes: {}", a.encryption_types)?;
        }
    }
    f.flush()
}

fn machine_sid(s: Sid) -> MachineSid {
    MachineSid::from_str(&s.to_string()).expect("the lab makes valid SIDs")
}

/// The installation's MachineGuid: clones of one image share it with their SID; DCs, which
/// share the domain's SID by design, each have their own.
fn machine_guid(d: &Domain, m: &Machine) -> kizuna_core::MachineGuid {
    let mut key = m
        .sid
        .0
        .iter()
        .fold(d.seed, |k, p| k.rotate_left(17) ^ u64::from(*p));
    if m.role == Role::Dc {
        key = m
            .name
            .bytes()
            .fold(key, |k, b| k.rotate_left(7) ^ u64::from(b));
    }
    let mut r = Rng::stream(key, 0x6d_6775_6964);
    kizuna_core::MachineGuid::from_u128((u128::from(r.next_u64()) << 64) | u128::from(r.next_u64()))
}

/// SAM, SECURITY, SYSTEM and SOFTWARE of a machine as on the lab's last day. Returns the
/// number of files written.
/// `isolation`: the Machine Identity Isolation value on the last day, if one is set.
pub fn write_hives(d: &Domain, m: &Machine, isolation: Option<u32>, dir: &Path) -> io::Result<u64> {
    let last = d.days.saturating_sub(1);
    let img = m.image_on(last);
    let p = netlogon_parameters(d, m);
    let (role, local_sid) = match m.role {
        Role::Workstation => (MachineRole::Workstation, m.sid),
        Role::Server => (MachineRole::Server, m.sid),
        // A DC's SAM keeps the local (DSRM) accounts under the SID the server had before
        // promotion; its machine SID, PolAcDmS, is the domain's.
        Role::Dc => {
            let mut r = Rng::stream(
                d.seed,
                0x4000_0000 + m.name.len() as u64 * 31 + m.name.as_bytes()[m.name.len() - 1] as u64,
            );
            (
                MachineRole::DomainController,
                Sid([
                    r.next_u64() as u32 | 1 << 30,
                    r.next_u64() as u32 | 1 << 30,
                    r.next_u64() as u32 | 1 << 30,
                ]),
            )
        }
    };
    let hives = MachineHives {
        computer_name: m.name.clone(),
        netbios_domain: d.netbios.clone(),
        dns_domain: Some(d.dns_name.clone()),
        domain_sid: Some(machine_sid(d.domain_sid)),
        machine_sid: machine_sid(local_sid),
        machine_account_rid: None,
        role,
        build: img.build,
        ubr: img.ubr,
        display_version: img.display_version.into(),
        product_name: img.product_name.into(),
        edition_id: img.edition_id.into(),
        installation_type: if img.server { "Server" } else { "Client" }.into(),
        machine_guid: Some(machine_guid(d, m)),
        refuse_password_change: p.get("RefusePasswordChange").copied(),
        maximum_password_age: p.get("MaximumPasswordAge").copied(),
        disable_password_change: p.get("DisablePasswordChange").copied(),
        machine_identity_isolation: isolation,
        last_written: d.end() - Duration::hours(2),
    };
    Ok(write_machine_hives(dir, &hives)?.len() as u64)
}
