//! Reading TOML with line numbers: the parsed document keeps the byte span of every key and
//! value, so each mistake can be reported at its line, and all of them at once.

use super::parse::ScenarioError;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A value with its span.
pub(crate) type Val<'i> = Spanned<DeValue<'i>>;

/// The source text, for turning byte offsets into line numbers, and the mistakes found.
pub(crate) struct Doc {
    line_starts: Vec<usize>,
    pub(crate) errors: Vec<ScenarioError>,
}

impl Doc {
    pub(crate) fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Doc {
            line_starts,
            errors: Vec::new(),
        }
    }

    /// The 1-based line of byte offset `at`.
    pub(crate) fn line(&self, at: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= at).max(1)
    }

    /// Records a mistake at the line of `at`.
    pub(crate) fn error(&mut self, at: usize, message: impl Into<String>) {
        let line = self.line(at);
        self.errors.push(ScenarioError {
            line,
            message: message.into(),
        });
    }
}

/// What a value's type is called in messages.
pub(crate) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The keys of a table with their values, in source order, checked off as they are read.
pub(crate) struct Fields<'a, 'i> {
    entries: Vec<(&'a str, usize, &'a Val<'i>, bool)>,
}

impl<'a, 'i> Fields<'a, 'i> {
    pub(crate) fn new(table: &'a DeTable<'i>) -> Self {
        let mut entries: Vec<_> = table
            .iter()
            .map(|(k, v)| (k.get_ref().as_ref(), k.span().start, v, false))
            .collect();
        entries.sort_by_key(|e| e.1);
        Fields { entries }
    }

    /// The value of `key`, marking it read.
    pub(crate) fn take(&mut self, key: &str) -> Option<&'a Val<'i>> {
        let e = self.entries.iter_mut().find(|e| e.0 == key)?;
        e.3 = true;
        Some(e.2)
    }

    /// True when `key` is present (without marking it read).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.0 == key)
    }

    /// The keys not read yet, with their offsets and values (source order).
    pub(crate) fn rest(&mut self) -> Vec<(&'a str, usize, &'a Val<'i>)> {
        self.entries
            .iter_mut()
            .filter(|e| !e.3)
            .map(|e| {
                e.3 = true;
                (e.0, e.1, e.2)
            })
            .collect()
    }

    /// Reports every key not read as unknown, naming what is allowed in `what`.
    pub(crate) fn finish(mut self, doc: &mut Doc, what: &str, allowed: &[&str]) {
        for (key, at, _) in self.rest() {
            doc.error(
                at,
                format!(
                    "unknown key `{key}` in {what}; expected one of: {}",
                    allowed.join(", ")
                ),
            );
        }
    }
}

/// A string value, or a mistake naming `what` was expected.
pub(crate) fn string<'a>(doc: &mut Doc, v: &'a Val<'_>, what: &str) -> Option<&'a str> {
    match v.get_ref() {
        DeValue::String(s) => Some(s.as_ref()),
        other => {
            doc.error(
                v.span().start,
                format!("expected {what} (a string), found {}", type_name(other)),
            );
            None
        }
    }
}

/// An integer value in `min..=max`.
pub(crate) fn integer(doc: &mut Doc, v: &Val<'_>, what: &str, min: i64, max: i64) -> Option<i64> {
    let found = match v.get_ref() {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    };
    match found {
        Some(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            let shown = match v.get_ref() {
                DeValue::Integer(i) => i.as_str().to_owned(),
                other => type_name(other).to_owned(),
            };
            doc.error(
                v.span().start,
                format!("expected {what}: an integer from {min} to {max}, found {shown}"),
            );
            None
        }
    }
}

/// A boolean value.
pub(crate) fn boolean(doc: &mut Doc, v: &Val<'_>, what: &str) -> Option<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Some(*b),
        other => {
            doc.error(
                v.span().start,
                format!("expected {what}: true or false, found {}", type_name(other)),
            );
            None
        }
    }
}

/// A scalar as the text a `key=value` interface would carry (fault parameters).
pub(crate) fn scalar_text(doc: &mut Doc, v: &Val<'_>, key: &str) -> Option<String> {
    match v.get_ref() {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|n| n.to_string()),
        DeValue::Float(f) => Some(f.as_str().to_owned()),
        DeValue::Boolean(b) => Some(b.to_string()),
        other => {
            doc.error(
                v.span().start,
                format!(
                    "parameter `{key}`: expected a string, number or boolean, found {}",
                    type_name(other)
                ),
            );
            None
        }
    }
}

/// The tables of an array of tables (`[[step]]`), each with its offset.
pub(crate) fn tables<'a, 'i>(
    doc: &mut Doc,
    v: &'a Val<'i>,
    what: &str,
) -> Vec<(&'a DeTable<'i>, usize)> {
    match v.get_ref() {
        DeValue::Array(items) => items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::Table(t) => Some((t, item.span().start)),
                other => {
                    doc.error(
                        item.span().start,
                        format!("expected {what} to hold tables, found {}", type_name(other)),
                    );
                    None
                }
            })
            .collect(),
        other => {
            doc.error(
                v.span().start,
                format!(
                    "expected {what} as [[{what}]] tables, found {}",
                    type_name(other)
                ),
            );
            Vec::new()
        }
    }
}

/// A table value with its offset.
pub(crate) fn table<'a, 'i>(doc: &mut Doc, v: &'a Val<'i>, what: &str) -> Option<&'a DeTable<'i>> {
    match v.get_ref() {
        DeValue::Table(t) => Some(t),
        other => {
            doc.error(
                v.span().start,
                format!(
                    "expected [{what}] to be a table, found {}",
                    type_name(other)
                ),
            );
            None
        }
    }
}
