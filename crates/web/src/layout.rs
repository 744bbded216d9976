//! The page tree of the device's web UI and the one schema walk that puts every configuration
//! key on a page: a page names the key prefixes it shows, and its form is built from the
//! schema's [`KeySpec`]s, so a key added to the schema appears on a page with no new code. A
//! key no page claims lands on the "Other settings" page, so every key stays reachable.

use m2285_core::config::schema::{self, KeySpec, Kind};
use serde_json::Value;

/// One configuration page.
#[derive(Debug, Clone, Copy)]
pub struct ConfigPage {
    /// URL path under `/config/`.
    pub slug: &'static str,
    /// Menu group (the manual's chapter).
    pub group: &'static str,
    /// Heading.
    pub title: &'static str,
    /// Key prefixes shown (a key belongs to the first page that claims it).
    pub prefixes: &'static [&'static str],
}

/// The configuration pages in menu order, mirroring the manual's tree (notes §7).
pub const CONFIG_PAGES: &[ConfigPage] = &[
    ConfigPage {
        slug: "ip",
        group: "Network",
        title: "IP configuration",
        prefixes: &[
            "network.ip",
            "network.netmask",
            "network.gateway",
            "network.dns",
            "network.mac",
            "network.ethernet",
        ],
    },
    ConfigPage {
        slug: "snmp",
        group: "Network",
        title: "SNMP",
        prefixes: &["network.snmp", "snmp."],
    },
    ConfigPage {
        slug: "syslog",
        group: "Network",
        title: "Syslog",
        prefixes: &["network.syslog", "system.log", "syslog."],
    },
    ConfigPage {
        slug: "ip_filter",
        group: "Network",
        title: "IP filtering",
        prefixes: &["network.ip_filter", "network.filter", "ip_filter."],
    },
    ConfigPage {
        slug: "tcp",
        group: "Network",
        title: "TCP service (keep-alive)",
        prefixes: &["network.tcp_keepalive"],
    },
    ConfigPage {
        slug: "web",
        group: "Network",
        title: "Web server",
        prefixes: &["network.web_server"],
    },
    ConfigPage {
        slug: "network_other",
        group: "Network",
        title: "Other network settings",
        prefixes: &["network."],
    },
    ConfigPage {
        slug: "port",
        group: "Serial port",
        title: "Port overview",
        prefixes: &["port1.enabled", "port1.title"],
    },
    ConfigPage {
        slug: "host",
        group: "Serial port",
        title: "Host mode",
        prefixes: &["port1.host"],
    },
    ConfigPage {
        slug: "remote_hosts",
        group: "Serial port",
        title: "Remote hosts",
        prefixes: &["port1.remote_hosts"],
    },
    ConfigPage {
        slug: "crypto",
        group: "Serial port",
        title: "Cryptography",
        prefixes: &["port1.crypto"],
    },
    ConfigPage {
        slug: "serial",
        group: "Serial port",
        title: "Serial parameters",
        prefixes: &["port1.serial"],
    },
    ConfigPage {
        slug: "modem",
        group: "Serial port",
        title: "Modem",
        prefixes: &["port1.modem"],
    },
    ConfigPage {
        slug: "port_log",
        group: "Serial port",
        title: "Port log",
        prefixes: &["port1.log", "port1.port_log"],
    },
    ConfigPage {
        slug: "port_other",
        group: "Serial port",
        title: "Other port settings",
        prefixes: &["port1."],
    },
    ConfigPage {
        slug: "device",
        group: "System",
        title: "Device name, date and time",
        prefixes: &[
            "system.name",
            "system.device",
            "system.clock",
            "system.time",
            "system.location",
            "system.contact",
        ],
    },
    ConfigPage {
        slug: "users",
        group: "System",
        title: "Users",
        prefixes: &["system.users", "system.accounts"],
    },
    ConfigPage {
        slug: "system_other",
        group: "System",
        title: "Other system settings",
        prefixes: &["system."],
    },
    ConfigPage {
        slug: "simulator",
        group: "Simulator",
        title: "Simulator settings",
        prefixes: &["sim."],
    },
    ConfigPage {
        slug: "other",
        group: "Simulator",
        title: "Other settings",
        prefixes: &[""],
    },
];

/// Whether `key` is on `page` (as the first page claiming it).
pub fn page_of(key: &str) -> Option<&'static ConfigPage> {
    CONFIG_PAGES
        .iter()
        .find(|p| p.prefixes.iter().any(|prefix| key.starts_with(prefix)))
}

/// The page with URL slug `slug`.
pub fn page(slug: &str) -> Option<&'static ConfigPage> {
    CONFIG_PAGES.iter().find(|p| p.slug == slug)
}

/// Whether a key (`a.b[2].c` or a schema path) holds a secret that is never sent back to the
/// browser: the configuration's one rule ([`m2285_core::config::secrets`]).
pub fn is_secret(key: &str) -> bool {
    m2285_core::config::secrets::is_secret_key(key)
}

/// How one field is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Widget {
    /// A drop-down list of these values.
    Select(Vec<String>),
    /// A number box with bounds.
    Number {
        /// Smallest.
        min: i64,
        /// Largest.
        max: i64,
    },
    /// A text box.
    Text {
        /// Longest value.
        max_len: usize,
    },
    /// A password box that is always empty ("leave empty to keep").
    Secret,
}

/// One field of a form: the key (with list index), its current value and how it is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The key as `Config::with_set` takes it (`port1.remote_hosts[0].host`).
    pub key: String,
    /// The schema's description.
    pub doc: String,
    /// What is allowed, in words.
    pub allowed: String,
    /// The value to show (empty for secrets).
    pub value: String,
    /// How it is drawn.
    pub widget: Widget,
    /// The error of the last attempt, if this field was wrong.
    pub error: Option<String>,
}

/// A group of fields: the page's plain keys, or one list's items (one row per item plus an
/// empty row to add one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Heading (the list key, or empty for plain keys).
    pub title: String,
    /// What the list is.
    pub doc: String,
    /// Rows of fields (plain keys: one field per row).
    pub rows: Vec<Vec<Field>>,
    /// Column names (list sections).
    pub columns: Vec<String>,
}

/// The sections of `page`, filled from `config` (the device's configuration as JSON).
pub fn sections(page: &ConfigPage, config: &Value) -> Vec<Section> {
    let mine = |k: &KeySpec| page_of(k.path).is_some_and(|p| p.slug == page.slug);
    let mut plain = Section {
        title: String::new(),
        doc: String::new(),
        rows: Vec::new(),
        columns: Vec::new(),
    };
    let mut lists = Vec::new();
    for spec in schema::KEYS.iter().filter(|k| mine(k)) {
        if spec.path.contains("[]") {
            continue; // drawn with its list
        }
        if let Kind::List { max_items } = spec.kind {
            lists.push(list_section(spec, max_items, config));
        } else {
            let value = lookup(config, spec.path);
            plain
                .rows
                .push(vec![field(spec, spec.path.to_owned(), value)]);
        }
    }
    let mut out = Vec::new();
    if !plain.rows.is_empty() {
        out.push(plain);
    }
    out.extend(lists);
    out
}

fn list_section(list: &KeySpec, max_items: usize, config: &Value) -> Section {
    let prefix = format!("{}[].", list.path);
    let item_specs: Vec<&KeySpec> = schema::KEYS
        .iter()
        .filter(|k| k.path.starts_with(&prefix))
        .collect();
    let items = match lookup(config, list.path) {
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    let mut rows = Vec::new();
    for (i, item) in items.iter().enumerate() {
        rows.push(
            item_specs
                .iter()
                .map(|spec| {
                    let leaf = &spec.path[prefix.len()..];
                    let value = item.get(leaf).cloned().unwrap_or(Value::Null);
                    field(spec, format!("{}[{i}].{leaf}", list.path), value)
                })
                .collect(),
        );
    }
    if items.len() < max_items {
        let i = items.len();
        rows.push(
            item_specs
                .iter()
                .map(|spec| {
                    let leaf = &spec.path[prefix.len()..];
                    let mut f = field(spec, format!("{}[{i}].{leaf}", list.path), Value::Null);
                    f.value.clear();
                    f
                })
                .collect(),
        );
    }
    Section {
        title: list.path.to_owned(),
        doc: list.doc.to_owned(),
        rows,
        columns: item_specs
            .iter()
            .map(|s| s.path[prefix.len()..].to_owned())
            .collect(),
    }
}

fn field(spec: &KeySpec, key: String, value: Value) -> Field {
    let secret = is_secret(spec.path);
    let widget = if secret {
        Widget::Secret
    } else {
        match spec.kind {
            Kind::Bool => Widget::Select(vec!["true".into(), "false".into()]),
            Kind::OneOf(list) => Widget::Select(list.iter().map(|s| (*s).to_owned()).collect()),
            Kind::OneOfInt(list) => Widget::Select(list.iter().map(i64::to_string).collect()),
            Kind::Int { min, max } => Widget::Number { min, max },
            Kind::Text { max_len } => Widget::Text { max_len },
            Kind::Ipv4 => Widget::Text { max_len: 15 },
            Kind::List { .. } => Widget::Text { max_len: 0 },
            Kind::Secret { max_len, .. } => Widget::Text { max_len },
        }
    };
    Field {
        key,
        doc: spec.doc.to_owned(),
        allowed: schema::allowed(&spec.kind),
        value: if secret { String::new() } else { show(&value) },
        widget,
        error: None,
    }
}

/// A JSON value as a form shows it.
pub fn show(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value at dotted `path` in `config` (Null when absent).
pub fn lookup(config: &Value, path: &str) -> Value {
    let mut node = config;
    for part in path.split('.') {
        match node.get(part) {
            Some(next) => node = next,
            None => return Value::Null,
        }
    }
    node.clone()
}

/// The value at `key` (with list indexes, `a.b[2].c`) in `config`.
pub fn lookup_indexed(config: &Value, key: &str) -> Value {
    let mut node = config;
    for seg in key.split('.') {
        let (name, index) = match seg.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (seg, None),
        };
        node = match node.get(name) {
            Some(n) => n,
            None => return Value::Null,
        };
        if let Some(i) = index {
            node = match node.get(i) {
                Some(n) => n,
                None => return Value::Null,
            };
        }
    }
    node.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use m2285_core::Config;

    fn factory_json() -> Value {
        let text = Config::factory().to_toml();
        let table: toml::Table = text.parse().unwrap_or_default();
        serde_json::to_value(table).unwrap_or(Value::Null)
    }

    #[test]
    fn every_schema_key_is_on_a_page() {
        let config = factory_json();
        for spec in schema::KEYS {
            let page = page_of(spec.path).unwrap_or_else(|| panic!("{} on no page", spec.path));
            let keys: Vec<String> = sections(page, &config)
                .iter()
                .flat_map(|s| s.rows.iter().flatten().map(|f| f.key.clone()))
                .collect();
            let wanted = spec.path.replace("[]", "[0]");
            if !matches!(spec.kind, Kind::List { .. }) {
                assert!(
                    keys.contains(&wanted),
                    "{} not drawn on {}",
                    spec.path,
                    page.slug
                );
            }
        }
    }

    #[test]
    fn secrets_are_never_filled_in() {
        let config =
            serde_json::json!({"system": {"users": [{"name": "root", "password": "s3cret"}]}});
        let page = page("users").unwrap_or(&CONFIG_PAGES[0]);
        let fields: Vec<Field> = sections(page, &config)
            .into_iter()
            .flat_map(|s| s.rows.into_iter().flatten())
            .collect();
        let pw = fields.iter().find(|f| f.key == "system.users[0].password");
        assert_eq!(pw.map(|f| f.value.as_str()), Some(""));
        assert_eq!(pw.map(|f| &f.widget), Some(&Widget::Secret));
    }
}
