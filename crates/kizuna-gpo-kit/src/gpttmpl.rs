//! GptTmpl.inf of the Security CSE, as GPMC saves it: UTF-16LE with BOM, CRLF,
//! `[Unicode]`, `[Registry Values]`, then `[Version]` with the quoted signature
//! (anchors.md §4.2). Only the two settings of the workaround exist as values:
//! DisablePasswordChange cannot be written by this crate at all.

/// `MACHINE\…\Netlogon\Parameters\` as security options name it.
pub const NETLOGON_PARAMETERS: &str =
    "MACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\";

/// A security option of the workaround or its rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityOption {
    /// "Domain controller: Refuse machine account password changes" (DCs only).
    RefusePasswordChange(bool),
    /// "Domain member: Maximum machine account password age" in days (0 = the article's
    /// pause, outside the documented 1–999).
    MaximumPasswordAge(u32),
}

impl SecurityOption {
    pub fn value_name(self) -> &'static str {
        match self {
            SecurityOption::RefusePasswordChange(_) => "RefusePasswordChange",
            SecurityOption::MaximumPasswordAge(_) => "MaximumPasswordAge",
        }
    }

    pub fn number(self) -> u32 {
        match self {
            SecurityOption::RefusePasswordChange(b) => u32::from(b),
            SecurityOption::MaximumPasswordAge(d) => d,
        }
    }

    /// The policy's name as GPMC shows it (gpreport.xml `<Display><Name>`).
    pub fn display_name(self) -> &'static str {
        match self {
            SecurityOption::RefusePasswordChange(_) => {
                "Domain controller: Refuse machine account password changes"
            }
            SecurityOption::MaximumPasswordAge(_) => {
                "Domain member: Maximum machine account password age"
            }
        }
    }

    /// `MACHINE\…\Parameters\RefusePasswordChange=4,1` (type 4 = REG_DWORD).
    pub fn line(self) -> String {
        format!(
            "{NETLOGON_PARAMETERS}{}=4,{}",
            self.value_name(),
            self.number()
        )
    }
}

/// The file's text (before encoding).
pub fn text(options: &[SecurityOption]) -> String {
    let mut lines = vec!["[Unicode]".to_string(), "Unicode=yes".to_string()];
    lines.push("[Registry Values]".into());
    lines.extend(options.iter().map(|o| o.line()));
    lines.extend([
        "[Version]".to_string(),
        "signature=\"$CHICAGO$\"".to_string(),
        "Revision=1".to_string(),
    ]);
    lines.join("\r\n") + "\r\n"
}

/// UTF-16LE with BOM.
pub fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    b
}

/// The bytes of GptTmpl.inf.
pub fn bytes(options: &[SecurityOption]) -> Vec<u8> {
    utf16le_bom(&text(options))
}
