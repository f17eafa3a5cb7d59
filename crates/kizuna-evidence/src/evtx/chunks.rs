//! A file's chunks in the order evtx reads them (`EvtxParser::chunks`), found by number and
//! read with positional reads: the caller's thread only lays out the order, and each worker
//! reads its own chunks into one buffer it keeps. Reading through evtx's iterator put every
//! chunk's `read`, copy and fresh 64 KiB allocation on the caller's thread, which capped the
//! pipeline at about one core (docs/performance.md, issue 8).

use std::fs::File;
use std::io;

use evtx::err::{ChunkError, EvtxError};
use evtx::{EvtxChunkHeader, EvtxFileHeader};

use super::{CHUNK, HEADER};

/// The fixed part of a chunk header, which holds its record id range.
const CHUNK_HEADER: u64 = 512;

/// One chunk of the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ChunkJob {
    /// Its number: where it is in the file.
    pub number: u64,
    /// Whether the file holds all of its 64 KiB. evtx visits chunks that the file header's
    /// block size counts but the file does not hold, and reports them as incomplete.
    pub whole: bool,
}

/// The chunks evtx visits, in its order: from the chunk with the oldest records to the end
/// of the file, then from the start of the file up to that chunk, as Windows reads a log
/// that has wrapped around.
pub(super) fn walk(file: &File, size: u64, header: &EvtxFileHeader) -> Vec<ChunkJob> {
    // evtx counts chunks from the header's block size but finds them at 4 KiB + n × 64 KiB.
    let counted = size.saturating_sub(header.header_block_size.into()) / CHUNK;
    let held = size.saturating_sub(HEADER) / CHUNK;
    let oldest = oldest_chunk(file, size, counted);
    let job = |number| ChunkJob {
        number,
        whole: number < held,
    };
    let mut jobs: Vec<ChunkJob> = (oldest..counted.max(held)).map(job).collect();
    jobs.extend((0..oldest).map(job));
    jobs
}

/// The chunk whose header names the lowest first record id, as evtx finds it: headers with a
/// reversed range do not count, and the search stops at the first header the file does not
/// hold.
fn oldest_chunk(file: &File, size: u64, counted: u64) -> u64 {
    let mut oldest = (u64::MAX, 0);
    let mut head = [0u8; CHUNK_HEADER as usize];
    for number in 0..counted {
        let at = HEADER + number * CHUNK;
        if at + CHUNK_HEADER > size || read_at(file, &mut head, at).is_err() {
            break;
        }
        if let Ok(chunk) = EvtxChunkHeader::from_bytes(&head)
            && chunk.first_event_record_id <= chunk.last_event_record_id
            && chunk.first_event_record_id < oldest.0
        {
            oldest = (chunk.first_event_record_id, number);
        }
    }
    oldest.1
}

/// Reads a chunk into `buf` (64 KiB): its header, `None` for an all-zero chunk (which evtx
/// passes over), or the error evtx gives for it.
pub(super) fn read_chunk(
    file: &File,
    job: ChunkJob,
    buf: &mut [u8],
) -> Result<Option<EvtxChunkHeader>, EvtxError> {
    let failed = |e| EvtxError::FailedToParseChunk {
        chunk_id: job.number,
        source: Box::new(e),
    };
    if !job.whole || read_at(file, buf, HEADER + job.number * CHUNK).is_err() {
        return Err(failed(ChunkError::IncompleteChunk));
    }
    if buf[..8] != *b"ElfChnk\0" && buf.iter().all(|b| *b == 0) {
        return Ok(None);
    }
    EvtxChunkHeader::from_bytes(buf)
        .map(Some)
        .map_err(|e| failed(ChunkError::FailedToParseChunkHeader(e)))
}

/// Fills `buf` from `offset` without moving a shared cursor, so workers read in parallel.
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
