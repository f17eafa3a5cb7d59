//! Damage a hive shows: what the parser logged, keys and values it could not read, and
//! hive bins whose headers do not hold.

use super::*;

pub(super) fn log_entries(logs: &Logs) -> Vec<(LogCode, String)> {
    logs.get()
        .map(|v| v.iter().map(|l| (l.code, l.text.clone())).collect())
        .unwrap_or_default()
}

/// Counts the keys (as `count_all_keys_and_values` does) and collects the damage the
/// parser recorded on keys and values along the way.
pub(super) fn walk_tree(parser: &Parser, facts: &mut HiveFacts) {
    let walked = guarded("walking the key tree", || {
        let mut keys = 0usize;
        let mut damage = Vec::new();
        for key in ParserIterator::new(parser).iter() {
            keys += 1;
            damage.extend(key_damage(&key));
            for value in key.value_iter() {
                for (_, text) in log_entries(&value.logs) {
                    let (path, text) = tidy(&key, &text);
                    damage.push(format!("{path} value {}: {text}", value.get_pretty_name()));
                }
            }
        }
        Ok((keys, damage))
    });
    match walked {
        Ok((keys, mut damage)) => {
            facts.key_count = keys;
            dedup(&mut damage);
            let more = damage.len().saturating_sub(MAX_WALK_ERRORS);
            damage.truncate(MAX_WALK_ERRORS);
            facts.errors.extend(damage);
            if more > 0 {
                facts
                    .errors
                    .push(format!("... and {more} more damaged keys or values"));
            }
        }
        Err(e) => facts.errors.push(e),
    }
}

/// The damage notatin recorded on a key, one entry each, located by the key's path.
pub(super) fn key_damage(key: &CellKeyNode) -> Vec<String> {
    log_entries(&key.logs)
        .into_iter()
        .map(|(_, text)| {
            let (path, text) = tidy(key, &text);
            format!("{path}: {text}")
        })
        .collect()
}

/// The key's path without the root key's name, and `text` with the full path shortened
/// the same way (and not repeated at its start).
pub(super) fn tidy(key: &CellKeyNode, text: &str) -> (String, String) {
    let full = key.path.trim_start_matches('\\');
    let shown = match full.split_once('\\') {
        Some((_root, below)) => below,
        None => "(root key)",
    };
    let mut text = text.to_string();
    if !key.path.is_empty() {
        text = text.replace(&key.path, shown);
    }
    let text = text
        .strip_prefix(shown)
        .map(|t| t.trim_start_matches(':').trim_start().to_string())
        .unwrap_or(text);
    (shown.to_string(), text)
}

/// Checks the hive-bin chain on disk: the file holds the hive-bins size its base block
/// declares, and each bin starts with "hbin" and a size that is a multiple of 4096.
/// notatin reads past such damage without a word, so it is reported here.
pub(super) fn check_bins(path: &Path, head: &[u8], facts: &mut HiveFacts) {
    const BASE_BLOCK: u64 = 4096;
    const MAX_REPORTS: usize = 10;
    let declared = u64::from(u32_le(head, 40));
    let Ok(mut file) = File::open(path) else {
        return;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return;
    };
    let available = len.saturating_sub(BASE_BLOCK);
    if available < declared {
        facts.errors.push(format!(
            "file truncated: the base block declares {declared} bytes of hive bins, the file \
             has {available} after its {BASE_BLOCK}-byte header"
        ));
    }
    let end = BASE_BLOCK + declared.min(available);
    let mut at = BASE_BLOCK;
    let mut reports = 0;
    let mut header = [0u8; 32];
    while at + 32 <= end {
        if reports == MAX_REPORTS {
            facts
                .errors
                .push(format!("hive bins after file offset 0x{at:x} not checked"));
            break;
        }
        if file.seek(SeekFrom::Start(at)).is_err() || file.read_exact(&mut header).is_err() {
            break;
        }
        let size = u64::from(u32_le(&header, 8));
        let size_ok = size >= 4096 && size & 0xFFF == 0;
        if &header[..4] != b"hbin" {
            facts.errors.push(format!(
                "hive bin at file offset 0x{at:x}: signature {}, expected \"hbin\" (damaged \
                 hive bin header)",
                shown_signature(&header[..4])
            ));
            reports += 1;
        } else if !size_ok {
            facts.errors.push(format!(
                "hive bin at file offset 0x{at:x}: size {size} is not a multiple of 4096"
            ));
            reports += 1;
        }
        at += if size_ok { size } else { 4096 };
    }
}

/// `"gbin"` when printable, else hex bytes (`00 00 00 00`).
pub(super) fn shown_signature(b: &[u8]) -> String {
    if b.iter().all(|c| c.is_ascii_graphic()) {
        format!("\"{}\"", String::from_utf8_lossy(b))
    } else {
        b.iter()
            .map(|c| format!("{c:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub(super) fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
}
