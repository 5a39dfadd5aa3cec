//! A reader that counts what passes through it: the bytes and newlines
//! handed out, in a [`Position`] shared (`Rc`) with whoever reports where a
//! parser that owns the reader has got to; optionally told to a
//! [`ReadWatch`] (progress reports, cancellation). The one counting reader
//! of the trace readers and the trace import.

use std::cell::Cell;
use std::io::{BufRead, Read};
use std::rc::Rc;

/// The bytes and newlines a [`CountingReader`] has handed out so far.
#[derive(Debug, Default)]
pub struct Position {
    /// Bytes handed out.
    pub bytes: Cell<u64>,
    /// Newlines (`\n`) among them.
    pub newlines: Cell<u64>,
}

impl Position {
    /// The 1-based line of the next byte.
    pub fn line(&self) -> usize {
        self.newlines.get() as usize + 1
    }
}

/// What a [`CountingReader`] tells its owner while it reads.
pub trait ReadWatch {
    /// Called before every read (`read` and `fill_buf`); an error is what
    /// the read returns (a cancelled import, say).
    fn before_read(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    /// Called after bytes were handed out, with the bytes so far.
    fn advanced(&mut self, total: u64) {
        let _ = total;
    }
}

/// No watch: the reader only counts.
impl ReadWatch for () {}

/// A reader (and buffered reader) counting the bytes and newlines handed
/// out through it into its [`Position`]. As a [`BufRead`], bytes count when
/// they are consumed, not when the buffer is filled.
#[derive(Debug)]
pub struct CountingReader<R, W = ()> {
    inner: R,
    position: Rc<Position>,
    watch: W,
}

impl<R> CountingReader<R> {
    /// Counts what is read from `inner`.
    pub fn new(inner: R) -> Self {
        CountingReader::with_watch(inner, ())
    }
}

impl<R, W> CountingReader<R, W> {
    /// Counts what is read from `inner` and tells `watch`.
    pub fn with_watch(inner: R, watch: W) -> Self {
        CountingReader {
            inner,
            position: Rc::new(Position::default()),
            watch,
        }
    }

    /// The position, shared: it keeps counting while the reader is read.
    pub fn position(&self) -> Rc<Position> {
        self.position.clone()
    }
}

impl<R, W: ReadWatch> CountingReader<R, W> {
    fn note(&mut self, bytes: &[u8]) {
        self.note_counts(bytes.len(), count_newlines(bytes));
    }

    fn note_counts(&mut self, bytes: usize, newlines: u64) {
        let total = self.position.bytes.get() + bytes as u64;
        self.position.bytes.set(total);
        if newlines > 0 {
            self.position
                .newlines
                .set(self.position.newlines.get() + newlines);
        }
        self.watch.advanced(total);
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

impl<R: Read, W: ReadWatch> Read for CountingReader<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.watch.before_read()?;
        let n = self.inner.read(buf)?;
        self.note(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead, W: ReadWatch> BufRead for CountingReader<R, W> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.watch.before_read()?;
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // The bytes consumed are at the front of the buffer `fill_buf`
        // returned, which a buffered reader returns again without reading
        // (with nothing consumed, nothing is asked for).
        let newlines = if amt == 0 {
            0
        } else {
            match self.inner.fill_buf() {
                Ok(buf) => count_newlines(&buf[..amt.min(buf.len())]),
                Err(_) => 0,
            }
        };
        self.inner.consume(amt);
        self.note_counts(amt, newlines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_newlines_are_counted_through_read_and_bufread() {
        let text = b"one\ntwo\nthree";
        let mut r = CountingReader::new(&text[..]);
        let pos = r.position();
        let mut buf = [0u8; 5];
        assert_eq!(r.read(&mut buf).expect("read"), 5);
        assert_eq!((pos.bytes.get(), pos.line()), (5, 2));

        let mut b = CountingReader::new(std::io::BufReader::with_capacity(4, &text[..]));
        let pos = b.position();
        let mut line = String::new();
        b.read_line(&mut line).expect("line");
        assert_eq!(line, "one\n");
        assert_eq!((pos.bytes.get(), pos.line()), (4, 2));
        let mut rest = String::new();
        b.read_to_string(&mut rest).expect("rest");
        assert_eq!((pos.bytes.get(), pos.line()), (13, 3));
    }

    struct Stops {
        seen: Vec<u64>,
        after: u64,
    }

    impl ReadWatch for &mut Stops {
        fn before_read(&mut self) -> std::io::Result<()> {
            match self.seen.last() {
                Some(&n) if n >= self.after => Err(std::io::Error::other("stopped")),
                _ => Ok(()),
            }
        }
        fn advanced(&mut self, total: u64) {
            self.seen.push(total);
        }
    }

    #[test]
    fn the_watch_sees_the_totals_and_can_stop_the_reads() {
        let text = [b'x'; 100];
        let mut watch = Stops {
            seen: Vec::new(),
            after: 30,
        };
        let mut r = CountingReader::with_watch(&text[..], &mut watch);
        let mut buf = [0u8; 16];
        let err = loop {
            match r.read(&mut buf) {
                Ok(0) => panic!("read to the end"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert_eq!(err.to_string(), "stopped");
        drop(r);
        assert_eq!(watch.seen, [16, 32]);
    }
}
