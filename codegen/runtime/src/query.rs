//! The query string as the API's parameters are written in it, by the client and read by the
//! server stubs: names and values are percent-encoded (everything but `A-Z a-z 0-9 - . _ ~`, so
//! `$select` is sent as `%24select` and a space as `%20`), and a comma list (`style: form, explode:
//! false`) is one value whose items are joined by a literal `,`: `%24select=id,displayName`. A comma
//! inside an item is encoded (`%2C`), so items never split where they should not. Reading undoes
//! this: a list is split at its literal commas, then each item is decoded; `+` is read as a space,
//! as HTML forms send it.

/// Appends `text` to `out`, percent-encoding every byte that is not unreserved.
pub fn encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
}

/// The text `raw` encodes: `%XX` escapes decoded, `+` read as a space. A `%` not followed by two hex
/// digits stands for itself. `None` if the bytes are not UTF-8.
pub fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                // Two hex digits (`from_str_radix` alone would also take a sign, as in `%+5`).
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|pair| pair.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|text| u8::from_str_radix(text, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The `name=value` pairs of a query string, undecoded; a pair without `=` has an empty value and
/// empty pairs are skipped.
pub fn raw_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// Rewrites a query string written as an HTML form encodes it (as `reqwest` writes one, with each
/// item of a list as a pair of its own) the way this module describes: every pair of a name in
/// `comma_lists` joins the first pair of that name as one more item.
pub fn rewrite(form: &str, comma_lists: &[&str]) -> String {
    let mut params: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in raw_pairs(form) {
        let name = decode(name).unwrap_or_else(|| name.to_owned());
        let value = decode(value).unwrap_or_else(|| value.to_owned());
        let list = comma_lists.contains(&name.as_str());
        match params.iter_mut().find(|(n, _)| list && *n == name) {
            Some((_, items)) => items.push(value),
            None => params.push((name, vec![value])),
        }
    }
    let mut out = String::with_capacity(form.len());
    for (i, (name, items)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(name, &mut out);
        out.push('=');
        for (j, item) in items.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            encode(item, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_one_value_and_everything_but_unreserved_bytes_is_encoded() {
        let form = "%24select=id&%24select=display+Name%2Cx&%24filter=startswith%28a%2C%27J+K%27%29&%24top=5";
        assert_eq!(
            rewrite(form, &["$select"]),
            "%24select=id,display%20Name%2Cx&%24filter=startswith%28a%2C%27J%20K%27%29&%24top=5"
        );
    }

    #[test]
    fn decoding_reads_escapes_plus_and_stray_percent_signs() {
        assert_eq!(decode("a%20b+c%2C%e2%82%ac").as_deref(), Some("a b c,€"));
        assert_eq!(decode("100%").as_deref(), Some("100%"));
        assert_eq!(decode("%zz%4%+5").as_deref(), Some("%zz%4% 5"));
        assert_eq!(decode("%ff"), None);
        let mut encoded = String::new();
        encode("a b,€~", &mut encoded);
        assert_eq!(encoded, "a%20b%2C%E2%82%AC~");
        assert_eq!(decode(&encoded).as_deref(), Some("a b,€~"));
    }
}
