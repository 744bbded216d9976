//! Moving through the menus: showing the current menu, choosing an entry, going back.

use crate::menu::Node;
use crate::session::{Console, Phase, View};
use crate::view;

impl Console {
    /// Writes the current menu and the selection prompt.
    pub(crate) fn show_menu(&mut self) {
        let config = self.staged.clone().unwrap_or_else(|| self.running.clone());
        let width = self.width;
        let (title, mut lines) = match self.stack.last() {
            None => return,
            Some(View::Menu(Node::Menu { title, entries })) => {
                (title.clone(), view::node_entries(entries, &config, width))
            }
            Some(View::Menu(other)) => (other.label(), Vec::new()),
            Some(View::Entries { list, fields }) => {
                let n = view::list_len(&config, list.path);
                let first = fields.first().map(|f| crate::menu::last_segment(f.path));
                let mut lines: Vec<String> = (0..n)
                    .map(|i| {
                        let value = first
                            .map(|f| view::value_text(&config, &format!("{}[{i}].{f}", list.path)))
                            .unwrap_or_default();
                        view::menu_line(i + 1, &format!("Entry {}", i + 1), Some(&value), width)
                    })
                    .collect();
                lines.push(view::menu_line(n + 1, "Add an entry", None, width));
                (
                    crate::menu::title(crate::menu::last_segment(list.path)),
                    lines,
                )
            }
            Some(View::Entry {
                list,
                fields,
                index,
            }) => {
                let mut lines: Vec<String> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let key = entry_key(list.path, *index, f.path);
                        let value = view::value_text(&config, &key);
                        let label = crate::menu::title(crate::menu::last_segment(f.path));
                        view::menu_line(i + 1, &label, Some(&value), width)
                    })
                    .collect();
                lines.push(view::menu_line(
                    fields.len() + 1,
                    "Delete this entry",
                    None,
                    width,
                ));
                let title = crate::menu::title(crate::menu::last_segment(list.path));
                (format!("{title}: entry {}", index + 1), lines)
            }
        };
        if self.stack.len() > 1 {
            lines.push(view::menu_line(0, "Back", None, width));
        }
        self.say("");
        self.say(&format!("-- {title} --"));
        for line in lines {
            self.say(&line);
        }
        if !self.changes.is_empty() {
            self.say(&format!(
                "({} change(s) staged: Apply or Save to keep them)",
                self.changes.len()
            ));
        }
        self.out.extend_from_slice(b"Select: ");
    }

    /// ESC or 0: up one menu (the main menu stays).
    pub(crate) fn back(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
        self.show_menu();
    }

    /// A line typed at the selection prompt.
    pub(crate) fn menu_choice(&mut self, choice: &str) {
        let Ok(n) = choice.parse::<usize>() else {
            if !choice.is_empty() {
                self.error(&format!("{choice:?} is not a number of this menu"));
            }
            self.show_menu();
            return;
        };
        if n == 0 {
            self.back();
            return;
        }
        let config = self.staged.clone().unwrap_or_else(|| self.running.clone());
        let picked = match self.stack.last() {
            Some(View::Menu(Node::Menu { entries, .. })) => {
                entries.get(n - 1).cloned().map(Pick::Node)
            }
            Some(View::Entries { list, fields }) => {
                let len = view::list_len(&config, list.path);
                (n <= len + 1).then(|| Pick::Entry {
                    list,
                    fields: fields.clone(),
                    index: n - 1,
                    new: n == len + 1,
                })
            }
            Some(View::Entry {
                list,
                fields,
                index,
            }) if n == fields.len() + 1 => Some(Pick::Delete(format!("{}[{index}]", list.path))),
            Some(View::Entry {
                list,
                fields,
                index,
            }) => fields
                .get(n - 1)
                .map(|f| Pick::Key(entry_key(list.path, *index, f.path))),
            _ => None,
        };
        match picked {
            None => {
                self.error(&format!("{n} is not a number of this menu"));
                self.show_menu();
            }
            Some(Pick::Node(node)) => match node {
                Node::Menu { .. } => {
                    self.stack.push(View::Menu(node));
                    self.show_menu();
                }
                Node::Key(spec) => self.ask_value(spec.path.to_owned()),
                Node::List { list, fields } => {
                    self.stack.push(View::Entries { list, fields });
                    self.show_menu();
                }
                Node::Action(_, action) => self.action(action, false),
            },
            Some(Pick::Entry {
                list,
                fields,
                index,
                new,
            }) => {
                if new {
                    // A new entry starts with its first field.
                    let first = fields.first().map(|f| entry_key(list.path, index, f.path));
                    self.stack.push(View::Entry {
                        list,
                        fields,
                        index,
                    });
                    match first {
                        Some(key) => self.ask_value(key),
                        None => self.show_menu(),
                    }
                } else {
                    self.stack.push(View::Entry {
                        list,
                        fields,
                        index,
                    });
                    self.show_menu();
                }
            }
            Some(Pick::Key(key)) => self.ask_value(key),
            Some(Pick::Delete(item)) => {
                // Back to the list: the entry shown is gone once staged.
                self.stack.pop();
                self.set(vec![(item, m2285_core::config::DELETE.to_owned())]);
            }
        }
    }

    /// Shows what a key is and asks for its new value.
    fn ask_value(&mut self, key: String) {
        let Some(spec) = view::spec_of(&key) else {
            self.show_menu();
            return;
        };
        let config = self.staged.clone().unwrap_or_else(|| self.running.clone());
        let help = view::key_help(&config, &key, spec);
        self.out.extend_from_slice(help.as_bytes());
        self.out.extend_from_slice(b"New value (Enter = keep): ");
        if key.ends_with(".password") {
            self.editor.echo = false;
        }
        self.phase = Phase::Value(key);
    }
}

/// What a selection picked.
enum Pick {
    Node(Node),
    Entry {
        list: &'static m2285_core::config::schema::KeySpec,
        fields: Vec<&'static m2285_core::config::schema::KeySpec>,
        index: usize,
        new: bool,
    },
    Key(String),
    /// Delete this list item (`list[N]`).
    Delete(String),
}

/// `port1.remote_hosts`, 2, `port1.remote_hosts[].host` → `port1.remote_hosts[2].host`.
fn entry_key(list: &str, index: usize, field: &str) -> String {
    format!("{list}[{index}].{}", crate::menu::last_segment(field))
}
