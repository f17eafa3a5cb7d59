//! `kizuna devices`: the device inventory as a table, JSON or CSV.

use crate::csv_field;
use kizuna_rules::Device;
use serde_json::Value;

/// One device as JSON (the API's device answers).
pub fn device_json(d: &Device) -> Value {
    serde_json::to_value(DeviceOut::of(d)).expect("a device serializes")
}

/// One device as the scan JSON's `devices[]` entry, written straight to `out`: the same
/// bytes as [`device_json`], without building a value first (a scan of a million devices
/// writes a million of them).
pub(crate) fn write_device_json(out: &mut dyn std::io::Write, d: &Device) -> std::io::Result<()> {
    serde_json::to_writer(out, &DeviceOut::of(d)).map_err(std::io::Error::from)
}

/// A device's JSON fields, in the contract's order, borrowed from the device.
#[derive(serde::Serialize)]
struct DeviceOut<'a> {
    name: &'a str,
    domain: &'a Option<String>,
    role: &'a str,
    #[serde(serialize_with = "shown")]
    machine_sid: Option<&'a kizuna_core::MachineSid>,
    #[serde(serialize_with = "shown")]
    machine_guid: Option<&'a kizuna_core::MachineGuid>,
    #[serde(serialize_with = "shown")]
    os_build: Option<&'a kizuna_core::OsBuild>,
    affected_by_sid_check: &'a str,
    netlogon: &'a std::collections::BTreeMap<String, u32>,
    #[serde(serialize_with = "texts")]
    sources: &'a [std::sync::Arc<str>],
}

impl<'a> DeviceOut<'a> {
    fn of(d: &'a Device) -> DeviceOut<'a> {
        DeviceOut {
            name: &d.name,
            domain: &d.domain,
            role: d.role.as_str(),
            machine_sid: d.machine_sid.as_ref(),
            machine_guid: d.machine_guid.as_ref(),
            os_build: d.os_build.as_ref(),
            affected_by_sid_check: d.affected.as_str(),
            netlogon: &d.netlogon,
            sources: &d.sources,
        }
    }
}

/// A value as its text (`Display`), or null.
fn shown<T: std::fmt::Display, S: serde::Serializer>(
    v: &Option<&T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

fn texts<S: serde::Serializer>(v: &&[std::sync::Arc<str>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|t| &**t))
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
