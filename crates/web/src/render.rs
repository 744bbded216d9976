//! The templates (askama, `crates/web/templates/`) and the view data they are filled with.

use crate::layout::{Field, Section, Widget, CONFIG_PAGES};
use askama::Template;

/// The stylesheet every page links (served at `/style.css`; nothing comes from outside).
pub const STYLE_CSS: &str = include_str!("../templates/style.css");

/// Name/value tables: (heading, element id, rows of (name, value)).
pub type Tables = Vec<(String, String, Vec<(String, String)>)>;

/// What every page shows around its content.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// Page title.
    pub title: String,
    /// Logged-in user (empty on the login page).
    pub user: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// A message from the last action.
    pub flash: String,
    /// An error for the whole page.
    pub error: String,
    /// "not applied / not saved / needs reboot".
    pub store_banner: String,
    /// Seconds between reloads (0 = none).
    pub refresh_s: u32,
}

/// The menu: (group, [(href, title)]).
fn menu() -> Vec<(String, Vec<(String, String)>)> {
    let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let has_keys = |slug: &str| {
        m2285_core::config::schema::KEYS
            .iter()
            .any(|k| crate::layout::page_of(k.path).is_some_and(|p| p.slug == slug))
    };
    for p in CONFIG_PAGES.iter().filter(|p| has_keys(p.slug)) {
        let item = (format!("/config/{}", p.slug), p.title.to_owned());
        match groups.last_mut() {
            Some((g, items)) if g == p.group => items.push(item),
            _ => groups.push((p.group.to_owned(), vec![item])),
        }
    }
    groups
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    title: String,
    user: String,
    csrf: String,
    flash: String,
    error: String,
    store_banner: String,
    refresh_s: u32,
    menu: Vec<(String, Vec<(String, String)>)>,
}

#[derive(Template)]
#[template(path = "tables.html")]
struct TablesPage {
    title: String,
    user: String,
    csrf: String,
    flash: String,
    error: String,
    store_banner: String,
    refresh_s: u32,
    menu: Vec<(String, Vec<(String, String)>)>,
    tables: Tables,
}

/// A field as the template draws it.
pub struct FieldView {
    key: String,
    value: String,
    kind: &'static str,
    options: Vec<(String, bool)>,
    min: i64,
    max: i64,
    error: String,
    allowed: String,
    doc: String,
}

/// A section as the template draws it.
pub struct SectionView {
    title: String,
    doc: String,
    columns: Vec<String>,
    fields: Vec<FieldView>,
    rows: Vec<Vec<FieldView>>,
}

#[derive(Template)]
#[template(path = "config.html")]
struct ConfigPageView {
    title: String,
    user: String,
    csrf: String,
    flash: String,
    error: String,
    store_banner: String,
    refresh_s: u32,
    menu: Vec<(String, Vec<(String, String)>)>,
    slug: String,
    sections: Vec<SectionView>,
}

#[derive(Template)]
#[template(path = "system.html")]
struct SystemPage {
    title: String,
    user: String,
    csrf: String,
    flash: String,
    error: String,
    store_banner: String,
    refresh_s: u32,
    menu: Vec<(String, Vec<(String, String)>)>,
    staged: String,
    firmware: String,
}

fn view(f: Field) -> FieldView {
    let (kind, options, min, max) = match &f.widget {
        Widget::Select(list) => (
            "select",
            list.iter().map(|o| (o.clone(), *o == f.value)).collect(),
            0,
            0,
        ),
        Widget::Number { min, max } => ("number", Vec::new(), *min, *max),
        Widget::Text { .. } => ("text", Vec::new(), 0, 0),
        Widget::Secret => ("password", Vec::new(), 0, 0),
    };
    FieldView {
        key: f.key,
        value: f.value,
        kind,
        options,
        min,
        max,
        error: f.error.unwrap_or_default(),
        allowed: f.allowed,
        doc: f.doc,
    }
}

fn section_view(s: Section) -> SectionView {
    if s.title.is_empty() {
        SectionView {
            title: s.title,
            doc: s.doc,
            columns: s.columns,
            fields: s.rows.into_iter().flatten().map(view).collect(),
            rows: Vec::new(),
        }
    } else {
        SectionView {
            title: s.title,
            doc: s.doc,
            columns: s.columns,
            fields: Vec::new(),
            rows: s
                .rows
                .into_iter()
                .map(|r| r.into_iter().map(view).collect())
                .collect(),
        }
    }
}

fn rendered(r: askama::Result<String>) -> String {
    r.unwrap_or_else(|e| format!("<!DOCTYPE html><title>error</title><p>page error: {e}</p>"))
}

/// The login page.
pub fn login(frame: Frame) -> String {
    rendered(
        LoginPage {
            title: frame.title,
            user: String::new(),
            csrf: frame.csrf,
            flash: frame.flash,
            error: frame.error,
            store_banner: String::new(),
            refresh_s: 0,
            menu: Vec::new(),
        }
        .render(),
    )
}

/// A page of name/value tables: (heading, element id, rows).
pub fn tables(frame: Frame, tables: Tables) -> String {
    rendered(
        TablesPage {
            title: frame.title,
            user: frame.user,
            csrf: frame.csrf,
            flash: frame.flash,
            error: frame.error,
            store_banner: frame.store_banner,
            refresh_s: frame.refresh_s,
            menu: menu(),
            tables,
        }
        .render(),
    )
}

/// A configuration page's form.
pub fn config(frame: Frame, slug: &str, sections: Vec<Section>) -> String {
    rendered(
        ConfigPageView {
            title: frame.title,
            user: frame.user,
            csrf: frame.csrf,
            flash: frame.flash,
            error: frame.error,
            store_banner: frame.store_banner,
            refresh_s: 0,
            menu: menu(),
            slug: slug.to_owned(),
            sections: sections.into_iter().map(section_view).collect(),
        }
        .render(),
    )
}

/// The system administration page (`firmware`: the running version).
pub fn system(frame: Frame, staged: String, firmware: String) -> String {
    rendered(
        SystemPage {
            title: frame.title,
            user: frame.user,
            csrf: frame.csrf,
            flash: frame.flash,
            error: frame.error,
            store_banner: frame.store_banner,
            refresh_s: 0,
            menu: menu(),
            staged,
            firmware,
        }
        .render(),
    )
}
