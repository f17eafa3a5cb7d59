//! The DC-only WMI filter (`ProductType = "2"`), as a GPMC `.mof` export and as the
//! attributes of its `msWMI-Som` object in the directory (anchors.md §4.4).

use chrono::NaiveDateTime;

use crate::names::DomainName;

/// WMI filter selecting domain controllers only (1 = workstation, 2 = DC, 3 = server).
pub const DC_QUERY: &str = "SELECT * FROM Win32_OperatingSystem WHERE ProductType = \"2\"";
pub const NAMESPACE: &str = "root\\CIMv2";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WmiFilter {
    pub id: String,
    pub name: String,
    pub description: String,
    pub query: &'static str,
    pub domain: DomainName,
    pub time: NaiveDateTime,
}

impl WmiFilter {
    /// The only filter the kit makes: domain controllers.
    pub fn domain_controllers(domain: &DomainName, time: NaiveDateTime) -> WmiFilter {
        WmiFilter {
            id: crate::guid::derived(&[domain.as_str(), "wmi-filter", "domain-controllers"]),
            name: "kizuna - Domain controllers only".into(),
            description: "ProductType = 2: only domain controllers apply GPOs with this filter (kizuna workaround kit)".into(),
            query: DC_QUERY,
            domain: domain.clone(),
            time,
        }
    }

    /// `yyyyMMddHHmmss.ffffff-000`
    pub fn wmi_time(&self) -> String {
        self.time.format("%Y%m%d%H%M%S.000000-000").to_string()
    }

    /// `msWMI-Parm2`: `1;3;10;<query length>;WQL;root\CIMv2;<query>;`
    pub fn parm2(&self) -> String {
        format!(
            "1;3;10;{};WQL;{NAMESPACE};{};",
            self.query.chars().count(),
            self.query
        )
    }

    /// `gPCWQLFilter` of a GPO using it.
    pub fn gpc_wql_filter(&self) -> String {
        format!("[{};{};0]", self.domain, self.id)
    }

    /// GPMC's export (`mofcomp -N:root\Policy FILE` imports it), CRLF.
    pub fn mof(&self) -> String {
        let s = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
        let lines = [
            "instance of MSFT_SomFilter".to_string(),
            "{".into(),
            format!("\tAuthor = \"{}\";", s(&format!("kizuna@{}", self.domain))),
            format!("\tChangeDate = \"{}\";", self.wmi_time()),
            format!("\tCreationDate = \"{}\";", self.wmi_time()),
            format!("\tDescription = \"{}\";", s(&self.description)),
            format!("\tDomain = \"{}\";", s(self.domain.as_str())),
            format!("\tID = \"{}\";", self.id),
            format!("\tName = \"{}\";", s(&self.name)),
            "\tRules = {".into(),
            "instance of MSFT_Rule".into(),
            "{".into(),
            format!("\tQuery = \"{}\";", s(self.query)),
            "\tQueryLanguage = \"WQL\";".into(),
            format!("\tTargetNameSpace = \"{}\";", s(NAMESPACE)),
            "}};".into(),
            "};".into(),
        ];
        lines.join("\r\n") + "\r\n"
    }
}
