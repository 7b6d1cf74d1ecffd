//! Bytes → text, as kubectl reads a file: a UTF-8 byte order mark is dropped and UTF-16 with a
//! byte order mark is decoded (kubectl wraps files in `unicode.BOMOverride`); anything else must
//! be UTF-8. Invalid bytes are refused with their line and column, not replaced.

use super::Source;
use crate::diagnostic::{Code, Diagnostic, Location};

/// The source named `name` read from `bytes`, or the located reason it is not text.
pub fn source_from_bytes(name: &str, bytes: &[u8]) -> Result<Source, Box<Diagnostic>> {
    text_from_bytes(bytes)
        .map(|text| Source::new(name, text))
        .map_err(|(message, line, column)| {
            Box::new(
                Diagnostic::error(Code::YamlSyntax, message)
                    .with_help("YAML and JSON are Unicode text: save the file as UTF-8")
                    .at(Location {
                        source: name.to_owned(),
                        document: None,
                        path: None,
                        line: Some(line),
                        column: Some(column),
                    }),
            )
        })
}

/// The text of `bytes`, or a message with the 1-based line and column where decoding failed.
fn text_from_bytes(bytes: &[u8]) -> Result<String, (String, usize, usize)> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes, "UTF-16LE");
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes, "UTF-16BE");
    }
    utf8(bytes)
}

fn utf8(bytes: &[u8]) -> Result<String, (String, usize, usize)> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(error) => {
            let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
            let (line, column) = position(&String::from_utf8_lossy(valid));
            let byte = bytes.get(error.valid_up_to()).copied().unwrap_or_default();
            Err((
                format!(
                    "invalid UTF-8 (byte 0x{byte:02X} at offset {}): not text",
                    error.valid_up_to()
                ),
                line,
                column,
            ))
        }
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, name: &str) -> Result<String, (String, usize, usize)> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| {
            unit([
                c.first().copied().unwrap_or_default(),
                c.get(1).copied().unwrap_or_default(),
            ])
        })
        .collect();
    let mut text = String::with_capacity(units.len());
    for decoded in char::decode_utf16(units.iter().copied()) {
        match decoded {
            Ok(c) => text.push(c),
            Err(error) => {
                let (line, column) = position(&text);
                return Err((
                    format!(
                        "invalid {name} (unpaired surrogate 0x{:04X})",
                        error.unpaired_surrogate()
                    ),
                    line,
                    column,
                ));
            }
        }
    }
    if bytes.len() % 2 == 1 {
        let (line, column) = position(&text);
        return Err((format!("invalid {name} (an odd number of bytes)"), line, column));
    }
    Ok(text)
}

/// The 1-based line and column just past `text`.
fn position(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boms_and_utf16_are_read_as_kubectl_reads_them() {
        assert_eq!(text_from_bytes(b"\xEF\xBB\xBFa: 1\n").unwrap(), "a: 1\n");
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a: é\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(text_from_bytes(&le).unwrap(), "a: é\n");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("a: é\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(text_from_bytes(&be).unwrap(), "a: é\n");
    }

    #[test]
    fn invalid_bytes_are_located() {
        let err = text_from_bytes(b"a: 1\nbb: \xC3\x28\n").unwrap_err();
        assert_eq!((err.1, err.2), (2, 5));
        assert!(err.0.contains("0xC3"), "{}", err.0);
        let odd = text_from_bytes(&[0xFF, 0xFE, b'a', 0, b'\n']).unwrap_err();
        assert!(odd.0.contains("odd"), "{}", odd.0);
        let err = source_from_bytes("x.yaml", b"\x00\xFF").unwrap_err();
        assert_eq!(err.location.line, Some(1));
    }
}
