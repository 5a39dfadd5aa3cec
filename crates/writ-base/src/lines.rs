//! Reading one line with a bound on its length, so a file that is one
//! enormous line (a JSON document read as JSON Lines, a hostile input)
//! cannot make a line reader hold gigabytes: past the bound the read fails
//! with a clear error instead.

use std::io::{BufRead, ErrorKind};

/// The longest line (in bytes, newline included) the line readers accept:
/// 64 MiB. One record or log line is never near it.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// Reads up to and including the next `\n` into `buf` (appending), like
/// [`BufRead::read_until`], but fails with [`ErrorKind::InvalidData`] once
/// the line passes `max` bytes (the bytes read so far stay consumed).
/// Returns the number of bytes read; 0 at the end of the input.
pub fn read_line_bounded<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<usize> {
    let mut read = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read);
        }
        let (done, used) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (true, i + 1),
            None => (false, available.len()),
        };
        if read + used > max {
            reader.consume(used);
            return Err(std::io::Error::new(
                ErrorKind::InvalidData,
                format!(
                    "a line is longer than {} MiB; each line must hold one record (is this one JSON document rather than JSON Lines?)",
                    max / (1024 * 1024)
                ),
            ));
        }
        buf.extend_from_slice(&available[..used]);
        reader.consume(used);
        read += used;
        if done {
            return Ok(read);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_like_read_until() {
        let mut input: &[u8] = b"one\ntwo\n\nlast";
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        loop {
            buf.clear();
            let n = read_line_bounded(&mut input, &mut buf, 100).expect("reads");
            if n == 0 {
                break;
            }
            lines.push(String::from_utf8(buf.clone()).expect("utf-8"));
        }
        assert_eq!(lines, ["one\n", "two\n", "\n", "last"]);
    }

    #[test]
    fn a_line_past_the_bound_is_an_error_across_buffer_refills() {
        let text = format!("short\n{}\nafter\n", "x".repeat(50));
        let mut reader = std::io::BufReader::with_capacity(8, text.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(
            read_line_bounded(&mut reader, &mut buf, 20).expect("short"),
            6
        );
        buf.clear();
        let e = read_line_bounded(&mut reader, &mut buf, 20).expect_err("too long");
        assert_eq!(e.kind(), ErrorKind::InvalidData);
        assert!(buf.len() <= 20, "never holds more than the bound");
    }
}
