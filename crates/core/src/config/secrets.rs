//! Secrets in the configuration: the keys of kind [`Kind::Secret`] (passwords).
//!
//! One rule for every face: a secret is kept only as a hash ([`Config::seal_secrets`]) and is
//! shown nowhere. Every API answer and every export goes through [`mask_tree`] (or the
//! [`Config`] helpers built on it), which puts [`MASK`] in place of each secret, found by the
//! schema rather than by a field's name. Reading [`MASK`] back (importing an export) keeps the
//! secret it stands for: a top-level key keeps its value, a list record keeps the secret of the
//! record with the same `name` in the configuration it replaces.

use super::schema::{self, Kind};
use super::Config;
use toml::{Table, Value};

/// What is shown instead of a secret.
pub const MASK: &str = "***";

/// True when the schema path (`a.b[].c`) is a secret.
pub fn is_secret(spec_path: &str) -> bool {
    schema::find(spec_path).is_some_and(|k| matches!(k.kind, Kind::Secret { .. }))
}

/// True when the schema path is a secret kept only as a hash (an account's password).
pub fn is_hashed(spec_path: &str) -> bool {
    schema::find(spec_path).is_some_and(|k| matches!(k.kind, Kind::Secret { hashed: true, .. }))
}

/// True when the key (`system.users[2].password`) is a secret.
pub fn is_secret_key(key: &str) -> bool {
    is_secret(&super::validate::list_pattern(key))
}

/// The value to hand the device for secret key `key` given `raw` by a user: plaintext is hashed
/// here with `salt` (call it where hashing cannot stall anything, e.g. the control API's own
/// thread); hashes, the mask and the empty password pass unchanged. Other keys pass unchanged.
pub fn prepare_value(key: &str, raw: &str, salt: [u8; crate::admin::accounts::SALT_LEN]) -> String {
    if !is_hashed(&super::validate::list_pattern(key))
        || raw.is_empty()
        || raw == MASK
        || crate::admin::accounts::is_password_hash(raw)
        || raw.len() > 63
    {
        return raw.to_owned();
    }
    crate::admin::accounts::hash_password(raw, &salt).unwrap_or_else(|| raw.to_owned())
}

/// Replaces every secret below `tree` (a configuration tree, or part of one starting at
/// `prefix`) with [`MASK`].
pub fn mask_tree(tree: &mut Table, prefix: &str) {
    for (name, value) in tree.iter_mut() {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        mask_value(value, &path);
    }
}

/// Replaces every secret in `value`, found at schema path `path`, with [`MASK`].
pub fn mask_value(value: &mut Value, path: &str) {
    match value {
        Value::Table(t) => mask_tree(t, path),
        Value::Array(items) => {
            let item_path = format!("{path}[]");
            for item in items {
                mask_value(item, &item_path);
            }
        }
        Value::String(s) if is_secret(path) => *s = MASK.to_owned(),
        _ => {}
    }
}

/// After a list was read from `given`, puts back the secrets `given` masked: each comes from the
/// record of `before` with the same `name` (or stays empty when there is none).
pub(super) fn keep_masked(spec_path: &str, list: &mut [Value], given: &[Value], before: &[Value]) {
    let prefix = format!("{spec_path}[].");
    let secret_fields: Vec<&str> = schema::KEYS
        .iter()
        .filter(|k| matches!(k.kind, Kind::Secret { .. }))
        .filter_map(|k| k.path.strip_prefix(prefix.as_str()))
        .collect();
    for field in secret_fields {
        for (record, given) in list.iter_mut().zip(given) {
            if given.get(field).and_then(Value::as_str) != Some(MASK) {
                continue;
            }
            let name = record.get("name").cloned();
            let old = before
                .iter()
                .find(|b| name.is_some() && b.get("name") == name.as_ref())
                .and_then(|b| b.get(field))
                .cloned()
                .unwrap_or_else(|| Value::String(String::new()));
            if let Value::Table(t) = record {
                t.insert(field.to_owned(), old);
            }
        }
    }
}

impl Config {
    /// The configuration as a tree with every secret masked: what API answers and exports show.
    pub fn masked_tree(&self) -> Table {
        let mut tree = self.to_tree();
        mask_tree(&mut tree, "");
        tree
    }

    /// The configuration as a TOML document with every secret masked (an export). Importing it
    /// gives the same configuration back.
    pub fn to_masked_toml(&self) -> String {
        toml::to_string(&self.masked_tree()).unwrap_or_default()
    }

    /// One key's value (like [`Config::get`]) with secrets masked.
    pub fn get_masked(&self, key: &str) -> Option<Value> {
        let mut value = self.get(key)?;
        mask_value(&mut value, &super::validate::list_pattern(key));
        Some(value)
    }

    /// An imported document (an export, perhaps edited) as a whole configuration: checked like
    /// `check-config`, keys it does not name take factory values, and a secret it carries as
    /// [`MASK`] keeps the value `current` has for the account of the same name (the one rule of
    /// [`keep_masked`]).
    pub fn import_toml(text: &str, current: &Config) -> Result<Config, Vec<super::ConfigError>> {
        let names_users = text
            .parse::<Table>()
            .ok()
            .and_then(|doc| doc.get("system")?.get("users").cloned())
            .is_some();
        let mut base = Config::factory();
        if names_users {
            // The accounts the document replaces, so masked passwords are found by name.
            base.system.users = current.system.users.clone();
        }
        base.overlay_toml(text)
    }

    /// This configuration checked again from scratch (after code changed a list directly).
    pub fn revalidated(&self) -> Result<Config, Vec<super::ConfigError>> {
        Config::factory().overlay_toml(&self.to_toml())
    }

    /// True when some secret is still a plaintext (not yet hashed).
    pub fn has_plaintext_secrets(&self) -> bool {
        self.system.users.iter().any(|u| {
            !u.password.is_empty() && !crate::admin::accounts::is_password_hash(&u.password)
        })
    }

    /// Hashes every plaintext secret, each with a fresh salt from `salt`. Runtimes call it with
    /// their randomness before a configuration reaches the device (the device seals what is left
    /// with salts from its seeded generator).
    pub fn seal_secrets(
        &mut self,
        salt: &mut dyn FnMut() -> [u8; crate::admin::accounts::SALT_LEN],
    ) {
        for user in &mut self.system.users {
            if !user.password.is_empty()
                && !crate::admin::accounts::is_password_hash(&user.password)
            {
                if let Some(hash) = crate::admin::accounts::hash_password(&user.password, &salt()) {
                    user.password = hash;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_by_the_schema_and_masks_read_back_keep_them() {
        let mut c = Config::factory()
            .with_sets(["system.users[2].name=op", "system.users[2].password=s3cret"])
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(c.has_plaintext_secrets());
        let mut n = 0u8;
        c.seal_secrets(&mut || {
            n += 1;
            [n; 16]
        });
        assert!(!c.has_plaintext_secrets());
        let op = &c.system.users[2];
        assert!(crate::admin::accounts::verify_password(
            &op.password,
            "s3cret"
        ));
        let export = c.to_masked_toml();
        assert!(
            !export.contains("s3cret") && !export.contains("$argon2"),
            "{export}"
        );
        // Three account passwords and the SMTP password (kept as given, masked all the same).
        assert_eq!(export.matches(MASK).count(), 4);
        assert_eq!(
            c.get_masked("system.users[2].password"),
            Some(Value::String(MASK.into()))
        );
        assert_eq!(
            c.get_masked("system.users[2]")
                .and_then(|v| v.get("password").cloned()),
            Some(Value::String(MASK.into()))
        );
        // Importing the export on top of the running configuration changes nothing.
        assert_eq!(c.overlay_toml(&export), Ok(c.clone()));
    }
}
