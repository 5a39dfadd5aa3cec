//! Replay: decide every recorded action of a trace against one or more
//! policy versions, streaming, in parallel, and in input order.
//!
//! The trace is read in batches. Each batch is parsed and prepared on every
//! core (rayon); then, for each version, requests whose relevance key was
//! decided before reuse that outcome, and the distinct new keys are decided
//! in parallel. Results go to a [`ResultSink`] in input order, so memory
//! depends on the batch size and the number of distinct requests kept for
//! reuse, never on the length of the trace.

use crate::evaluate::{Evaluator, Outcome, Prepared, Unprepared};
use crate::resolve::Principal;
use crate::trace::{parse_record, LineError, LineSource, TraceLines, TraceRecord};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::io::BufRead;
use std::sync::Arc;

/// How to replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Stop at the first malformed line instead of reporting and skipping it.
    pub strict: bool,
    /// Reuse the outcome of an equal relevant request (on by default).
    pub reuse: bool,
    /// Lines per batch.
    pub batch_size: usize,
    /// Distinct requests remembered per version before the memory is reset.
    pub reuse_capacity: usize,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            strict: false,
            reuse: true,
            batch_size: 4096,
            reuse_capacity: 200_000,
        }
    }
}

/// The decision of one version for one action.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The principal the agent resolved to in this version.
    pub principal: Principal,
    /// The outcome.
    pub outcome: Arc<Outcome>,
}

/// One replayed action.
#[derive(Debug, Clone)]
pub struct ActionResult {
    /// 1-based line in the trace.
    pub line: usize,
    /// The record.
    pub record: TraceRecord,
    /// One evaluation per version, in the order the versions were given.
    pub evaluations: Vec<Evaluation>,
}

/// Where replay results go.
pub trait ResultSink {
    /// Receives each replayed action, in input order.
    fn result(&mut self, result: &ActionResult) -> Result<(), SinkError>;
    /// Receives each malformed line (skipped unless strict).
    fn bad_line(&mut self, error: &LineError) -> Result<(), SinkError> {
        let _ = error;
        Ok(())
    }
}

/// A sink failed (for example writing the output file).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Any other failure, described.
    #[error("{0}")]
    Other(String),
}

/// Sends every result to each of several sinks.
pub struct Tee<'a>(pub Vec<&'a mut (dyn ResultSink + Send)>);

impl ResultSink for Tee<'_> {
    fn result(&mut self, r: &ActionResult) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|s| s.result(r))
    }
    fn bad_line(&mut self, e: &LineError) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|s| s.bad_line(e))
    }
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the trace failed.
    #[error("cannot read the trace: {0}")]
    Io(#[from] std::io::Error),
    /// A malformed line, in strict mode.
    #[error("malformed trace line {0} (stopped because of --strict)")]
    Strict(LineError),
    /// A sink failed.
    #[error("cannot write results")]
    Sink(#[from] SinkError),
}

/// Counters of a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReplayStats {
    /// Actions replayed.
    pub actions: u64,
    /// Malformed lines skipped.
    pub bad_lines: u64,
    /// Bytes of trace read.
    pub bytes: u64,
    /// Requests looked up for reuse (actions times versions, less request errors).
    pub lookups: u64,
    /// Lookups that reused an earlier decision.
    pub reused: u64,
    /// Requests Cedar decided.
    pub decided: u64,
}

impl ReplayStats {
    /// Share of lookups that reused a decision.
    pub fn reuse_rate(&self) -> f64 {
        if self.lookups == 0 {
            0.0
        } else {
            self.reused as f64 / self.lookups as f64
        }
    }
}

type Cache = FxHashMap<String, Arc<Outcome>>;

/// A batch decided and waiting to be delivered to the sink.
type Decided = Vec<(
    usize,
    Result<TraceRecord, LineError>,
    Vec<Option<Evaluation>>,
)>;

/// Replays a native trace against `versions`, reporting to `sink`.
/// `progress` is called with the number of bytes read after each batch.
///
/// While the sink consumes one batch, the next is parsed and decided, so
/// the sink's work overlaps with the engine's.
pub fn replay<R: BufRead + Send>(
    input: R,
    versions: &[&Evaluator],
    options: &ReplayOptions,
    sink: &mut (dyn ResultSink + Send),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ReplayStats, ReplayError> {
    replay_source(TraceLines::new(input), versions, options, sink, progress)
}

/// Replays records from any [`LineSource`] (a file, stored actions),
/// keeping the source's line numbers.
pub fn replay_source<S: LineSource + Send>(
    mut lines: S,
    versions: &[&Evaluator],
    options: &ReplayOptions,
    sink: &mut (dyn ResultSink + Send),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ReplayStats, ReplayError> {
    let mut stats = ReplayStats::default();
    let mut delivered = ReplayStats::default();
    let mut caches: Vec<Cache> = versions.iter().map(|_| Cache::default()).collect();
    let batch_size = options.batch_size.max(1);
    let mut batch: Vec<(usize, String)> = Vec::with_capacity(batch_size);
    let mut spare: Vec<String> = Vec::new();
    let mut waiting: Option<Decided> = None;
    let mut next: Vec<(usize, String)> = Vec::with_capacity(batch_size);
    read_batch(&mut lines, &mut batch, &mut spare, batch_size)?;
    while !batch.is_empty() {
        // Three things at once: the sink takes the previous batch and the
        // next batch is read, while this one is decided.
        let previous = waiting.take();
        let (side, decided) = rayon::join(
            || -> Result<(), ReplayError> {
                if let Some(d) = previous {
                    deliver(d, sink, &mut delivered)?;
                }
                read_batch(&mut lines, &mut next, &mut spare, batch_size)?;
                Ok(())
            },
            || decide_batch(&batch, versions, &mut caches, options, &mut stats),
        );
        side?;
        waiting = Some(decided?);
        spare.extend(batch.drain(..).map(|(_, l)| l));
        std::mem::swap(&mut batch, &mut next);
        stats.bytes = lines.bytes_read();
        progress(stats.bytes);
    }
    if let Some(d) = waiting.take() {
        deliver(d, sink, &mut delivered)?;
    }
    stats.actions = delivered.actions;
    stats.bad_lines = delivered.bad_lines;
    Ok(stats)
}

/// Reads up to `size` non-blank lines into `batch` (cleared first).
fn read_batch<S: LineSource>(
    lines: &mut S,
    batch: &mut Vec<(usize, String)>,
    spare: &mut Vec<String>,
    size: usize,
) -> std::io::Result<()> {
    batch.clear();
    while batch.len() < size {
        let mut buf = spare.pop().unwrap_or_default();
        match lines.next_line(&mut buf)? {
            Some(n) => batch.push((n, buf)),
            None => break,
        }
    }
    Ok(())
}

/// Parses and decides one batch against every version.
fn decide_batch(
    batch: &[(usize, String)],
    versions: &[&Evaluator],
    caches: &mut [Cache],
    options: &ReplayOptions,
    stats: &mut ReplayStats,
) -> Result<Decided, ReplayError> {
    let parsed: Vec<Result<TraceRecord, LineError>> =
        batch.par_iter().map(|(n, l)| parse_record(*n, l)).collect();
    if options.strict {
        if let Some(Err(e)) = parsed.iter().find(|r| r.is_err()) {
            return Err(ReplayError::Strict(e.clone()));
        }
    }
    let mut per_version: Vec<std::vec::IntoIter<Option<Evaluation>>> =
        Vec::with_capacity(versions.len());
    for (ev, cache) in versions.iter().zip(caches.iter_mut()) {
        per_version.push(evaluate_batch(ev, &parsed, cache, options, stats).into_iter());
    }
    Ok(batch
        .iter()
        .zip(parsed)
        .map(|((line, _), rec)| {
            let evals = per_version.iter_mut().map(|c| c.next().flatten()).collect();
            (*line, rec, evals)
        })
        .collect())
}

/// Hands a decided batch to the sink, in order.
fn deliver(
    decided: Decided,
    sink: &mut (dyn ResultSink + Send),
    stats: &mut ReplayStats,
) -> Result<(), ReplayError> {
    for (line, rec, evals) in decided {
        match rec {
            Ok(record) => {
                stats.actions += 1;
                sink.result(&ActionResult {
                    line,
                    record,
                    evaluations: evals.into_iter().flatten().collect(),
                })?;
            }
            Err(e) => {
                stats.bad_lines += 1;
                sink.bad_line(&e)?;
            }
        }
    }
    Ok(())
}

/// Decides one batch for one version: prepare in parallel, reuse what is
/// known, decide distinct new requests in parallel.
fn evaluate_batch(
    ev: &Evaluator,
    parsed: &[Result<TraceRecord, LineError>],
    cache: &mut Cache,
    options: &ReplayOptions,
    stats: &mut ReplayStats,
) -> Vec<Option<Evaluation>> {
    let prepared: Vec<Option<Result<Prepared<'_>, Unprepared>>> = parsed
        .par_iter()
        .map(|r| r.as_ref().ok().map(|rec| ev.prepare(rec)))
        .collect();
    // Which prepared requests need Cedar: index into `prepared` of the first
    // occurrence of each new key.
    let mut slots: Vec<Option<Arc<Outcome>>> = vec![None; prepared.len()];
    let mut pending: Vec<usize> = Vec::new();
    let mut same_as: Vec<(usize, usize)> = Vec::new();
    if cache.len() > options.reuse_capacity {
        cache.clear();
    }
    {
        let mut new_keys: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, p) in prepared.iter().enumerate() {
            let Some(Ok(p)) = p else { continue };
            stats.lookups += 1;
            if !options.reuse {
                pending.push(i);
                continue;
            }
            if let Some(o) = cache.get(p.key.as_str()) {
                stats.reused += 1;
                slots[i] = Some(o.clone());
            } else if let Some(&first) = new_keys.get(p.key.as_str()) {
                stats.reused += 1;
                same_as.push((i, first));
            } else {
                new_keys.insert(p.key.as_str(), i);
                pending.push(i);
            }
        }
    }
    let decided: Vec<(usize, Arc<Outcome>)> = pending
        .par_iter()
        .filter_map(|&i| match &prepared[i] {
            Some(Ok(p)) => Some((i, Arc::new(ev.decide(p)))),
            _ => None,
        })
        .collect();
    stats.decided += decided.len() as u64;
    for (i, o) in decided {
        if options.reuse {
            if let Some(Ok(p)) = &prepared[i] {
                cache.insert(p.key.clone(), o.clone());
            }
        }
        slots[i] = Some(o);
    }
    for (i, first) in same_as {
        slots[i] = slots[first].clone();
    }
    prepared
        .into_iter()
        .zip(slots)
        .map(|(p, slot)| match p {
            None => None,
            Some(Ok(p)) => slot.map(|outcome| Evaluation {
                principal: p.principal,
                outcome,
            }),
            Some(Err(u)) => Some(Evaluation {
                principal: u.principal,
                outcome: u.outcome,
            }),
        })
        .collect()
}

/// A sink that keeps every result in memory (for tests and small traces).
#[derive(Debug, Default)]
pub struct Collect {
    /// The results.
    pub results: Vec<ActionResult>,
    /// The malformed lines.
    pub bad_lines: Vec<LineError>,
}

impl ResultSink for Collect {
    fn result(&mut self, r: &ActionResult) -> Result<(), SinkError> {
        self.results.push(r.clone());
        Ok(())
    }
    fn bad_line(&mut self, e: &LineError) -> Result<(), SinkError> {
        self.bad_lines.push(e.clone());
        Ok(())
    }
}
