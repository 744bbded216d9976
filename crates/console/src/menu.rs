//! The numbered menu tree, built from the configuration schema: every key of
//! `m2285_core::config::schema::KEYS` is reachable, with no code per key.
//!
//! Keys are grouped by their dotted path: the first segment picks the top-level section
//! (`network` → 1, `port1` → 2, `system` and `sim` → 3), a further segment with keys below it
//! becomes a submenu (`network.tcp_keepalive.*`), and a list (`port1.remote_hosts`) becomes a
//! menu of its entries whose fields are the schema's `list[].field` keys. Titles are made from
//! the segment names ([`title`]), so a new key shows up with a sensible name by itself.

use m2285_core::config::schema::{KeySpec, Kind, KEYS};

/// Something a menu entry does besides opening a submenu or a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Show the status snapshot.
    Status,
    /// Show the statistics counters.
    Stats,
    /// Show the system log.
    Log,
    /// Show the port log.
    PortLog,
    /// Show the IP filter.
    Filter,
    /// Show the device's date and time.
    Time,
    /// Put the staged edits into effect.
    Apply,
    /// Apply, then keep the running configuration over a reboot.
    Save,
    /// Save, then reboot.
    SaveReboot,
    /// Reboot without saving.
    Reboot,
    /// Back to the factory configuration (asks first).
    FactoryReset,
    /// Drop the staged edits and log out.
    ExitWithoutSaving,
    /// Switch to the command line.
    CommandMode,
}

/// One entry of a menu.
#[derive(Debug, Clone)]
pub enum Node {
    /// A submenu.
    Menu {
        /// Its title.
        title: String,
        /// Its entries, numbered from 1.
        entries: Vec<Node>,
    },
    /// One configuration key (for list fields, the `list[].field` spec).
    Key(&'static KeySpec),
    /// A list of records: opens the menu of its entries.
    List {
        /// The list's own key.
        list: &'static KeySpec,
        /// The keys of one entry (`list[].field`).
        fields: Vec<&'static KeySpec>,
    },
    /// An action.
    Action(&'static str, Action),
}

impl Node {
    /// What the entry is called in its menu.
    pub fn label(&self) -> String {
        match self {
            Node::Menu { title, .. } => title.clone(),
            Node::Key(spec) => title(last_segment(spec.path)),
            Node::List { list, .. } => title(last_segment(list.path)),
            Node::Action(label, _) => (*label).to_owned(),
        }
    }
}

/// The main menu.
pub fn main_menu() -> Node {
    let mut system = section("system.");
    system.push(Node::Menu {
        title: "Simulator settings".into(),
        entries: section("sim."),
    });
    system.extend([
        Node::Action("IP filter", Action::Filter),
        Node::Action("Date and time", Action::Time),
        Node::Action("Factory reset", Action::FactoryReset),
        Node::Action("Reboot", Action::Reboot),
    ]);
    Node::Menu {
        title: "Main menu".into(),
        entries: vec![
            Node::Menu {
                title: "Network configuration".into(),
                entries: section("network."),
            },
            Node::Menu {
                title: "Serial port configuration".into(),
                entries: section("port1."),
            },
            Node::Menu {
                title: "System administration".into(),
                entries: system,
            },
            Node::Menu {
                title: "Statistics/status".into(),
                entries: vec![
                    Node::Action("Status", Action::Status),
                    Node::Action("Statistics", Action::Stats),
                    Node::Action("System log", Action::Log),
                    Node::Action("Port log", Action::PortLog),
                ],
            },
            Node::Action("Save", Action::Save),
            Node::Action("Apply", Action::Apply),
            Node::Action("Save & reboot", Action::SaveReboot),
            Node::Action("Exit without saving", Action::ExitWithoutSaving),
            Node::Action("Command mode", Action::CommandMode),
        ],
    }
}

/// The entries for every key under `prefix`, in schema order.
fn section(prefix: &str) -> Vec<Node> {
    let keys: Vec<&'static KeySpec> = KEYS.iter().filter(|k| k.path.starts_with(prefix)).collect();
    group(prefix, &keys)
}

/// Groups `keys` (all under `prefix`) into entries: direct keys, lists, and submenus.
fn group(prefix: &str, keys: &[&'static KeySpec]) -> Vec<Node> {
    let mut entries: Vec<Node> = Vec::new();
    let mut submenus: Vec<(String, Vec<&'static KeySpec>)> = Vec::new();
    for &spec in keys {
        let rest = &spec.path[prefix.len()..];
        if let Kind::List { .. } = spec.kind {
            let item_prefix = format!("{}[].", spec.path);
            let fields = KEYS
                .iter()
                .filter(|k| k.path.starts_with(&item_prefix))
                .collect();
            entries.push(Node::List { list: spec, fields });
            continue;
        }
        if rest.contains("[].") {
            continue; // a list field: shown under its list
        }
        match rest.split_once('.') {
            None => entries.push(Node::Key(spec)),
            Some((head, _)) => {
                let pos = submenus.iter().position(|(h, _)| h == head);
                match pos {
                    Some(i) => submenus[i].1.push(spec),
                    None => {
                        // The submenu takes the place of its first key.
                        entries.push(Node::Menu {
                            title: head.to_owned(),
                            entries: Vec::new(),
                        });
                        submenus.push((head.to_owned(), vec![spec]));
                    }
                }
            }
        }
    }
    for entry in &mut entries {
        if let Node::Menu { title, entries } = entry {
            if let Some((head, keys)) = submenus.iter().find(|(h, _)| h == title) {
                *entries = group(&format!("{prefix}{head}."), keys);
                *title = self::title(head);
            }
        }
    }
    entries
}

/// The last segment of a dotted key (`port1.serial.baud` → `baud`).
pub fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// A human title from a key segment: `tcp_keepalive` → "TCP keepalive",
/// `inactivity_timeout_s` → "Inactivity timeout (s)".
pub fn title(segment: &str) -> String {
    let words: Vec<&str> = segment.split('_').filter(|w| !w.is_empty()).collect();
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        let unit = i + 1 == words.len() && i > 0 && matches!(*word, "s" | "ms" | "min");
        let text = match *word {
            _ if unit => format!("({word})"),
            "ip" | "tcp" | "udp" | "dns" | "dtr" | "dsr" | "ca" | "id" | "rs485" | "tls" => {
                word.to_uppercase()
            }
            w if i == 0 => {
                let mut chars = w.chars();
                match chars.next() {
                    Some(c) => c.to_uppercase().chain(chars).collect(),
                    None => String::new(),
                }
            }
            w => w.to_owned(),
        };
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&text);
    }
    if out.is_empty() {
        segment.to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_in(node: &Node, out: &mut Vec<&'static str>) {
        match node {
            Node::Menu { entries, .. } => entries.iter().for_each(|e| keys_in(e, out)),
            Node::Key(spec) => out.push(spec.path),
            Node::List { list, fields } => {
                out.push(list.path);
                out.extend(fields.iter().map(|f| f.path));
            }
            Node::Action(..) => {}
        }
    }

    #[test]
    fn every_schema_key_is_in_the_menus_once() {
        let mut found = Vec::new();
        keys_in(&main_menu(), &mut found);
        let mut expected: Vec<&str> = KEYS.iter().map(|k| k.path).collect();
        expected.sort_unstable();
        found.sort_unstable();
        assert_eq!(found, expected);
    }

    #[test]
    fn titles_read_well() {
        assert_eq!(title("tcp_keepalive"), "TCP keepalive");
        assert_eq!(title("inactivity_timeout_s"), "Inactivity timeout (s)");
        assert_eq!(title("ip"), "IP");
        assert_eq!(title("baud"), "Baud");
    }
}
