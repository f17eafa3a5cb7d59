//! One GPMC backup folder, as `Backup-GPO` writes it and `Import-GPO` / GPMC "Import
//! Settings" read it (anchors.md §4.1, compared with the real backups in
//! `../shared/corpus/gpo/`):
//!
//! ```text
//! {BackupID}/Backup.xml      UTF-8, CRLF: core settings, versions, CSE list, files
//! {BackupID}/bkupInfo.xml    UTF-8, one line: GPO GUID, domain, time, display name
//! {BackupID}/gpreport.xml    UTF-16LE with BOM, CRLF: the settings report GPMC shows
//! {BackupID}/DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf
//! ```

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use crate::gpttmpl::{self, NETLOGON_PARAMETERS, SecurityOption};
use crate::names::DomainName;
use crate::sd;
use crate::version::GpoVersion;

/// The Security CSE and its snap-in, as `gPCMachineExtensionNames` lists them.
pub const SECURITY_CSE: &str = "{827D319E-6EAC-11D2-A4EA-00C04F79F83A}";
pub const SECURITY_TOOL: &str = "{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}";
/// GPMC's entry for folders without a CSE of their own.
const FOLDERS_EXTENSION: &str = "{F15C46CD-82A0-4C2D-A210-5D0D3182A418}";
/// GptTmpl.inf inside the backup (and, from `Machine\`, inside SYSVOL).
pub const GPTTMPL_IN_BACKUP: &str =
    "DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf";
pub const GPTTMPL_IN_SYSVOL: &str = "Machine/Microsoft/Windows NT/SecEdit/GptTmpl.inf";

/// `[{827D…}{803E…}]`: the value of `gPCMachineExtensionNames` for a security-only GPO.
pub fn machine_extension_names() -> String {
    format!("[{SECURITY_CSE}{SECURITY_TOOL}]")
}

/// A computer-only GPO holding security options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpoBackup {
    pub display_name: String,
    pub gpo_guid: String,
    pub backup_id: String,
    pub domain: DomainName,
    pub version: GpoVersion,
    pub options: Vec<SecurityOption>,
    pub comment: String,
    /// Backup, creation and modification time as recorded (UTC).
    pub time: NaiveDateTime,
}

/// Text as CDATA; a `]]>` inside is split across two sections.
fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

/// Text as element content or attribute value.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn crlf(lines: &[String]) -> String {
    lines.join("\r\n") + "\r\n"
}

impl GpoBackup {
    fn sysvol_unc(&self) -> String {
        format!(
            "\\\\{d}\\sysvol\\{d}\\Policies\\{g}",
            d = self.domain,
            g = self.gpo_guid
        )
    }

    /// Backup.xml
    pub fn backup_xml(&self) -> String {
        let core = format!(
            "<GroupPolicyCoreSettings><ID>{}</ID><Domain>{}</Domain><SecurityDescriptor>{}</SecurityDescriptor><DisplayName>{}</DisplayName><Options>{}</Options><UserVersionNumber>{}</UserVersionNumber><MachineVersionNumber>{}</MachineVersionNumber><MachineExtensionGuids>{}</MachineExtensionGuids><UserExtensionGuids/><WMIFilter/></GroupPolicyCoreSettings>",
            cdata(&self.gpo_guid),
            cdata(self.domain.as_str()),
            sd::hex(),
            cdata(&self.display_name),
            // 1 = user configuration disabled: the GPO holds computer settings only.
            cdata("1"),
            cdata(&self.version.backup_user_number().to_string()),
            cdata(&self.version.backup_machine_number().to_string()),
            cdata(&machine_extension_names()),
        );
        let unc = self.sysvol_unc();
        let file = format!(
            "            <FSObjectFile bkp:Path=\"%GPO_MACH_FSPATH%\\microsoft\\windows nt\\SecEdit\\GptTmpl.inf\" bkp:SourceExpandedPath=\"{}\" bkp:ReEvaluateFunction=\"SecurityValidateSettings\" bkp:Location=\"DomainSysvol\\GPO\\Machine\\microsoft\\windows nt\\SecEdit\\GptTmpl.inf\"/>",
            escape(&format!(
                "{unc}\\Machine\\microsoft\\windows nt\\SecEdit\\GptTmpl.inf"
            ))
        );
        let dirs: String = ["Microsoft", "Microsoft\\Windows NT", "Microsoft\\Windows NT\\SecEdit"]
            .iter()
            .map(|d| {
                format!(
                    "<FSObjectDir bkp:Path=\"%GPO_MACH_FSPATH%\\{d}\" bkp:SourceExpandedPath=\"{}\" bkp:Location=\"DomainSysvol\\GPO\\Machine\\{d}\"/>",
                    escape(&format!("{unc}\\Machine\\{d}"))
                )
            })
            .collect();
        crlf(&[
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><!-- Copyright (c) Microsoft Corporation.  All rights reserved. --><GroupPolicyBackupScheme bkp:version=\"2.0\" bkp:type=\"GroupPolicyBackupTemplate\" xmlns:bkp=\"http://www.microsoft.com/GroupPolicy/GPOOperations\" xmlns=\"http://www.microsoft.com/GroupPolicy/GPOOperations\">".into(),
            format!("    <GroupPolicyObject><SecurityGroups/><FilePaths/>{core} "),
            format!("        <GroupPolicyExtension bkp:ID=\"{SECURITY_CSE}\" bkp:DescName=\"Security\">"),
            file,
            "        </GroupPolicyExtension>".into(),
            format!("    <GroupPolicyExtension bkp:ID=\"{FOLDERS_EXTENSION}\" bkp:DescName=\"Unknown Extension\">{dirs}</GroupPolicyExtension></GroupPolicyObject>"),
            "</GroupPolicyBackupScheme>".into(),
        ])
    }

    /// The fields of a `<BackupInst>`, shared by bkupInfo.xml and the folder's manifest.xml.
    fn backup_inst_fields(&self) -> String {
        let domain_guid =
            crate::guid::derived(&["domain", self.domain.as_str()]).to_ascii_lowercase();
        format!(
            "<GPOGuid>{}</GPOGuid><GPODomain>{}</GPODomain><GPODomainGuid>{}</GPODomainGuid><GPODomainController>{}</GPODomainController><BackupTime>{}</BackupTime><ID>{}</ID><Comment>{}</Comment><GPODisplayName>{}</GPODisplayName>",
            cdata(&self.gpo_guid),
            cdata(self.domain.as_str()),
            cdata(&domain_guid),
            cdata(self.domain.as_str()),
            cdata(&self.time.format("%Y-%m-%dT%H:%M:%S").to_string()),
            cdata(&self.backup_id),
            cdata(&self.comment),
            cdata(&self.display_name),
        )
    }

    /// bkupInfo.xml (one line).
    pub fn bkup_info_xml(&self) -> String {
        crlf(&[format!(
            "<BackupInst xmlns=\"http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest\">{}</BackupInst>",
            self.backup_inst_fields()
        )])
    }

    /// This backup's entry in the folder's manifest.xml.
    pub fn manifest_entry(&self) -> String {
        format!("<BackupInst>{}</BackupInst>", self.backup_inst_fields())
    }

    /// gpreport.xml (before UTF-16 encoding).
    pub fn gpreport_xml(&self) -> String {
        let t = self.time.format("%Y-%m-%dT%H:%M:%S").to_string();
        let types = "http://www.microsoft.com/GroupPolicy/Types";
        let sec = "http://www.microsoft.com/GroupPolicy/Types/Security";
        let mut l: Vec<String> = vec![
            "<?xml version=\"1.0\" encoding=\"utf-16\"?>".into(),
            "<GPO xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://www.microsoft.com/GroupPolicy/Settings\">".into(),
            "  <Identifier>".into(),
            format!("    <Identifier xmlns=\"{types}\">{}</Identifier>", self.gpo_guid),
            format!("    <Domain xmlns=\"{types}\">{}</Domain>", escape(self.domain.as_str())),
            "  </Identifier>".into(),
            format!("  <Name>{}</Name>", escape(&self.display_name)),
            "  <IncludeComments>true</IncludeComments>".into(),
            format!("  <CreatedTime>{t}</CreatedTime>"),
            format!("  <ModifiedTime>{t}</ModifiedTime>"),
            format!("  <ReadTime>{t}.0000000Z</ReadTime>"),
            "  <SecurityDescriptor>".into(),
            format!("    <SDDL xmlns=\"{sec}\">{}</SDDL>", sd::SDDL),
        ];
        for part in ["Owner", "Group"] {
            l.push(format!("    <{part} xmlns=\"{sec}\">"));
            l.push(format!("      <SID xmlns=\"{types}\">S-1-5-32-544</SID>"));
            l.push(format!(
                "      <Name xmlns=\"{types}\">BUILTIN\\Administrators</Name>"
            ));
            l.push(format!("    </{part}>"));
        }
        l.extend([
            format!("    <PermissionsPresent xmlns=\"{sec}\">false</PermissionsPresent>"),
            format!("    <AuditingPresent xmlns=\"{sec}\">false</AuditingPresent>"),
            "  </SecurityDescriptor>".into(),
            "  <FilterDataAvailable>true</FilterDataAvailable>".into(),
            "  <Computer>".into(),
            format!("    <VersionDirectory>{}</VersionDirectory>", self.version.machine),
            format!("    <VersionSysvol>{}</VersionSysvol>", self.version.machine),
            "    <Enabled>true</Enabled>".into(),
            "    <ExtensionData>".into(),
            "      <Extension xmlns:q1=\"http://www.microsoft.com/GroupPolicy/Settings/Security\" xsi:type=\"q1:SecuritySettings\">".into(),
        ]);
        for o in &self.options {
            l.push("        <q1:SecurityOptions>".into());
            l.push(format!(
                "          <q1:KeyName>{NETLOGON_PARAMETERS}{}</q1:KeyName>",
                o.value_name()
            ));
            l.push(format!(
                "          <q1:SettingNumber>{}</q1:SettingNumber>",
                o.number()
            ));
            l.push("          <q1:Display>".into());
            l.push(format!(
                "            <q1:Name>{}</q1:Name>",
                o.display_name()
            ));
            match o {
                SecurityOption::RefusePasswordChange(b) => {
                    l.push("            <q1:Units />".into());
                    l.push(format!(
                        "            <q1:DisplayBoolean>{b}</q1:DisplayBoolean>"
                    ));
                }
                SecurityOption::MaximumPasswordAge(d) => {
                    l.push("            <q1:Units>days</q1:Units>".into());
                    l.push(format!(
                        "            <q1:DisplayNumber>{d}</q1:DisplayNumber>"
                    ));
                }
            }
            l.push("          </q1:Display>".into());
            l.push("        </q1:SecurityOptions>".into());
        }
        l.extend([
            "      </Extension>".into(),
            "      <Name>Security</Name>".into(),
            "    </ExtensionData>".into(),
            "  </Computer>".into(),
            "  <User>".into(),
            format!(
                "    <VersionDirectory>{}</VersionDirectory>",
                self.version.user
            ),
            format!("    <VersionSysvol>{}</VersionSysvol>", self.version.user),
            "    <Enabled>false</Enabled>".into(),
            "  </User>".into(),
            "</GPO>".into(),
        ]);
        l.join("\r\n")
    }

    /// Writes `parent/{BackupID}/…`; returns that folder.
    pub fn write(&self, parent: &Path) -> io::Result<PathBuf> {
        let dir = parent.join(&self.backup_id);
        let inf = dir.join(relative(GPTTMPL_IN_BACKUP));
        fs::create_dir_all(inf.parent().expect("a nested path"))?;
        fs::write(dir.join("Backup.xml"), self.backup_xml())?;
        fs::write(dir.join("bkupInfo.xml"), self.bkup_info_xml())?;
        fs::write(
            dir.join("gpreport.xml"),
            gpttmpl::utf16le_bom(&self.gpreport_xml()),
        )?;
        fs::write(&inf, gpttmpl::bytes(&self.options))?;
        Ok(dir)
    }
}

/// `a/b/c` as a relative path of the platform's own separators, so that a file list
/// printed on Windows reads `{GUID}\DomainSysvol\GPO\…`, not a mix of `\` and `/`.
pub(crate) fn relative(slashed: &str) -> PathBuf {
    slashed.split('/').collect()
}
