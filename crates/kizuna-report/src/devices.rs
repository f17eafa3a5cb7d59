//! `kizuna devices`: the device inventory as a table, JSON or CSV.

use crate::csv_field;
use kizuna_rules::Device;
use serde_json::{Value, json};

/// One device as JSON (also the `devices[]` entries of the scan JSON).
pub fn device_json(d: &Device) -> Value {
    json!({
        "name": d.name,
        "domain": d.domain,
        "role": d.role.as_str(),
        "machine_sid": d.machine_sid.map(|s| s.to_string()),
        "machine_guid": d.machine_guid.map(|g| g.to_string()),
        "os_build": d.os_build.map(|b| b.to_string()),
        "affected_by_sid_check": d.affected.as_str(),
        "netlogon": d.netlogon,
        "sources": d.sources.iter().map(|s| &**s).collect::<Vec<&str>>(),
    })
}

pub fn devices_json(devices: &[Device]) -> String {
    let v: Vec<Value> = devices.iter().map(device_json).collect();
    serde_json::to_string_pretty(&v).expect("JSON values serialize") + "\n"
}

pub fn devices_csv(devices: &[Device]) -> String {
    let mut out =
        String::from("name,domain,role,machine_sid,os_build,affected_by_sid_check,sources\n");
    for d in devices {
        let sources: Vec<&str> = d.sources.iter().map(|s| &**s).collect();
        let fields = [
            d.name.clone(),
            d.domain.clone().unwrap_or_default(),
            d.role.as_str().to_string(),
            d.machine_sid.map(|s| s.to_string()).unwrap_or_default(),
            d.os_build.map(|b| b.to_string()).unwrap_or_default(),
            d.affected.as_str().to_string(),
            sources.join(";"),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

pub fn devices_table(devices: &[Device]) -> String {
    let mut out = format!(
        "{:<16} {:<22} {:<12} {:<46} {:<12} {:<8} SOURCES\n",
        "NAME", "DOMAIN", "ROLE", "MACHINE SID", "BUILD", "SIDCHECK"
    );
    for d in devices {
        out.push_str(&format!(
            "{:<16} {:<22} {:<12} {:<46} {:<12} {:<8} {}\n",
            d.name,
            d.domain.as_deref().unwrap_or("-"),
            d.role.as_str(),
            d.machine_sid.map_or("-".to_string(), |s| s.to_string()),
            d.os_build.map_or("-".to_string(), |b| b.to_string()),
            d.affected.as_str(),
            d.sources.len()
        ));
    }
    out
}
