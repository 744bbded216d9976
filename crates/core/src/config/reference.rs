//! Human references generated from the schema, so the shipped factory file and the key table in
//! `docs/config.md` are the schema itself, not a copy that can drift (tests compare them).

use super::schema::{allowed, DefaultValue, Effect, KeySpec, KEYS};

/// What a key's documentation says about when it takes effect (nothing for "on apply").
fn effect_note(k: &KeySpec) -> &'static str {
    match k.effect {
        Effect::Apply => "",
        Effect::Reboot => " Takes effect at the next reboot.",
        Effect::Restart => " Takes effect at the next start of the simulator.",
    }
}

fn default_text(path: &str, d: &DefaultValue) -> String {
    match d {
        DefaultValue::Bool(b) => b.to_string(),
        DefaultValue::Int(i) => i.to_string(),
        DefaultValue::Str(s) => format!("\"{s}\""),
        DefaultValue::EmptyList => "[]".into(),
        // Shown with secrets masked; reading the mask back keeps the factory hash.
        DefaultValue::Records(text) => {
            let mut v = super::validate::records(text);
            super::secrets::mask_value(&mut v, path);
            v.to_string()
        }
    }
}

/// Every key with its factory value as a commented TOML document (`sim-configs/factory.toml`).
pub fn factory_toml() -> String {
    let mut out = String::new();
    let mut section = "";
    for k in KEYS.iter().filter(|k| !k.path.contains("[]")) {
        let (sec, name) = k.path.rsplit_once('.').unwrap_or(("", k.path));
        if sec != section {
            out.push_str(&format!("\n[{sec}]\n"));
            section = sec;
        }
        out.push_str(&format!("# {} Allowed: {}.\n", k.doc, allowed(&k.kind)));
        out.push_str(&format!("{name} = {}\n", default_text(k.path, &k.default)));
    }
    out
}

/// The key table of `docs/config.md`.
pub fn markdown_table() -> String {
    let mut out = String::from("| key | allowed | factory | meaning |\n|---|---|---|---|\n");
    for k in KEYS {
        out.push_str(&format!(
            "| `{}` | {} | `{}` | {}{} |\n",
            k.path,
            allowed(&k.kind),
            default_text(k.path, &k.default),
            k.doc.replace('|', "\\|"),
            effect_note(k)
        ));
    }
    out
}
