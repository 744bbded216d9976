//! Routing and the pages: which request needs which operation, and what each page shows.

use crate::http::{WebRequest, WebResponse};
use crate::layout::{self, lookup_indexed, show};
use crate::render::{self, Frame};
use crate::session::{hex, same_token};
use crate::tables::{log_tables, statistics_tables, status_tables};
use crate::{
    DeviceOp, FieldError, OpResult, Outcome, Snapshot, StoreOp, Then, Web, LOGIN_COOKIE,
    SESSION_COOKIE,
};
use m2285_time::Instant;
use serde_json::Value;

/// What to answer after an operation.
#[derive(Debug, Clone)]
pub(crate) enum After {
    /// Open a session (or show the login page with an error).
    Login,
    /// Back to a configuration page; on refusal, redraw it with the submitted values.
    ConfigForm {
        slug: String,
        submitted: Vec<(String, String)>,
    },
    /// Redirect to `path` with the result as a message.
    Back(String),
    /// Send the exported file.
    Download,
}

/// The logged-in context of one request.
struct Ctx {
    sid: String,
    user: String,
    csrf: String,
    flash: String,
}

pub(crate) fn handle(
    web: &mut Web,
    req: &WebRequest,
    snap: &Snapshot,
    now: Instant,
    random: [u8; 32],
) -> Outcome {
    let path = req.path.trim_end_matches('/');
    let method = req.method.as_str();
    match (method, path) {
        ("GET", "/style.css") => {
            return Outcome::Reply(WebResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "text/css".into())],
                body: render::STYLE_CSS.as_bytes().to_vec(),
            })
        }
        ("GET", "/favicon.ico") => return Outcome::Reply(not_found()),
        ("GET", "" | "/login") if path == "/login" || session_of(web, req, now).is_none() => {
            return Outcome::Reply(login_page(req, random, "", 200))
        }
        ("POST", "/login") => return login(req),
        ("GET" | "HEAD" | "POST", _) => {}
        _ => return Outcome::Reply(WebResponse::text(405, "method not allowed\n")),
    }
    let Some(ctx) = session_of(web, req, now) else {
        return Outcome::Reply(if method == "POST" {
            WebResponse::text(401, "no session: log in first\n")
        } else {
            WebResponse::redirect("/login")
        });
    };
    if method == "POST" && !csrf_ok(req, &ctx.csrf) {
        return Outcome::Reply(WebResponse::text(
            403,
            "the form's CSRF token is missing or wrong: reload the page\n",
        ));
    }
    let frame = |title: &str| Frame {
        title: title.to_owned(),
        user: ctx.user.clone(),
        csrf: ctx.csrf.clone(),
        flash: ctx.flash.clone(),
        error: String::new(),
        store_banner: banner(snap),
        refresh_s: 0,
    };
    let reply = |r| Outcome::Reply(r);
    match (method, path) {
        ("GET" | "HEAD", "") => reply(WebResponse::redirect("/status")),
        ("GET" | "HEAD", "/status") => {
            let mut f = frame("System status");
            f.refresh_s = layout::lookup(&snap.config, "network.web_server.refresh_s")
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0);
            reply(WebResponse::html(
                200,
                render::tables(f, status_tables(snap)),
            ))
        }
        ("GET" | "HEAD", "/statistics") => reply(WebResponse::html(
            200,
            render::tables(frame("Statistics"), statistics_tables(snap)),
        )),
        ("GET" | "HEAD", "/log") => reply(WebResponse::html(
            200,
            render::tables(frame("System log"), log_tables(snap)),
        )),
        ("GET" | "HEAD", "/system") => reply(WebResponse::html(
            200,
            render::system(
                frame("System administration"),
                staged_text(snap),
                firmware_of(snap),
            ),
        )),
        ("GET" | "HEAD", "/system/export") => Outcome::Ask {
            op: DeviceOp::Store(StoreOp::Export),
            then: Then(After::Download),
        },
        ("GET" | "HEAD", p) if p.starts_with("/config/") => {
            match layout::page(&p["/config/".len()..]) {
                Some(page) => reply(WebResponse::html(
                    200,
                    render::config(
                        frame(page.title),
                        page.slug,
                        layout::sections(page, &snap.config),
                    ),
                )),
                None => reply(not_found()),
            }
        }
        ("POST", "/logout") => {
            web.sessions.close(&ctx.sid);
            reply(
                WebResponse::redirect("/login")
                    .header("Set-Cookie", cookie(SESSION_COOKIE, "", req.secure, 0)),
            )
        }
        ("POST", p) if p.starts_with("/config/") => {
            let Some(page) = layout::page(&p["/config/".len()..]) else {
                return reply(not_found());
            };
            let form = req.form();
            let apply = form.iter().any(|(k, v)| k == "action" && v == "apply");
            let pairs = config_pairs(&form, &snap.config);
            if pairs.is_empty() {
                set_flash(web, &ctx.sid, "nothing changed");
                return reply(WebResponse::redirect(p));
            }
            Outcome::Ask {
                op: DeviceOp::Store(StoreOp::Set { pairs, apply }),
                then: Then(After::ConfigForm {
                    slug: page.slug.to_owned(),
                    submitted: form,
                }),
            }
        }
        ("POST", "/system/store") => {
            let op = req
                .form()
                .into_iter()
                .find(|(k, _)| k == "op")
                .map(|(_, v)| v);
            let op = match op.as_deref() {
                Some("apply") => StoreOp::Apply,
                Some("save") => StoreOp::Save { reboot: false },
                Some("save_reboot") => StoreOp::Save { reboot: true },
                Some("discard") => StoreOp::Discard,
                Some("reboot") => StoreOp::Reboot,
                Some("factory_reset") => StoreOp::FactoryReset,
                _ => return reply(WebResponse::text(400, "unknown operation\n")),
            };
            Outcome::Ask {
                op: DeviceOp::Store(op),
                then: Then(After::Back("/system".into())),
            }
        }
        ("POST", "/system/import") => {
            let file = req
                .multipart()
                .into_iter()
                .find(|(k, _)| k == "file")
                .map(|(_, v)| v);
            match file.map(String::from_utf8) {
                Some(Ok(toml)) if !toml.trim().is_empty() => Outcome::Ask {
                    op: DeviceOp::Store(StoreOp::Import { toml }),
                    then: Then(After::Back("/system".into())),
                },
                Some(Ok(_)) | None => {
                    let mut f = frame("System administration");
                    f.error = "import: choose a configuration file (TOML, as exported)".into();
                    reply(WebResponse::html(
                        400,
                        render::system(f, staged_text(snap), firmware_of(snap)),
                    ))
                }
                Some(Err(_)) => {
                    let mut f = frame("System administration");
                    f.error =
                        "import: the file is not UTF-8 text (expected TOML, as exported)".into();
                    reply(WebResponse::html(
                        400,
                        render::system(f, staged_text(snap), firmware_of(snap)),
                    ))
                }
            }
        }
        ("POST", "/system/firmware") => {
            let image = req
                .multipart()
                .into_iter()
                .find(|(k, _)| k == "image")
                .map(|(_, v)| v)
                .unwrap_or_default();
            let checked = if image.is_empty() {
                Err("choose a firmware image file".to_owned())
            } else {
                m2285_core::admin::firmware::parse(&image).map_err(|e| e.to_string())
            };
            match checked {
                Ok(image) => Outcome::Ask {
                    op: DeviceOp::Firmware(image),
                    then: Then(After::Back("/system".into())),
                },
                Err(why) => {
                    let mut f = frame("System administration");
                    f.error = format!("firmware upgrade refused, nothing was changed: {why}");
                    reply(WebResponse::html(
                        400,
                        render::system(f, staged_text(snap), firmware_of(snap)),
                    ))
                }
            }
        }
        _ => reply(not_found()),
    }
}

/// The running firmware version as the status shows it.
fn firmware_of(snap: &Snapshot) -> String {
    show(
        snap.status
            .pointer("/device/firmware")
            .unwrap_or(&Value::Null),
    )
}

pub(crate) fn resume(
    web: &mut Web,
    req: &WebRequest,
    after: After,
    result: OpResult,
    snap: &Snapshot,
    now: Instant,
    random: [u8; 32],
) -> WebResponse {
    if let After::Login = after {
        return match result {
            OpResult::Login(Some(user)) => {
                let sid = web.sessions.open(&user, req.peer, random, now);
                WebResponse::redirect("/status")
                    .header("Set-Cookie", cookie(SESSION_COOKIE, &sid, req.secure, -1))
                    .header("Set-Cookie", cookie(LOGIN_COOKIE, "", req.secure, 0))
            }
            OpResult::LoginLockedOut => login_page(
                req,
                random,
                "too many failed logins from your address: wait and try again later",
                429,
            ),
            _ => login_page(req, random, "wrong user name or password", 401),
        };
    }
    let Some(ctx) = session_of(web, req, now) else {
        return WebResponse::redirect("/login");
    };
    match (after, result) {
        (After::Download, OpResult::Exported(text)) => WebResponse {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/toml".into()),
                (
                    "Content-Disposition".into(),
                    "attachment; filename=\"m2285-config.toml\"".into(),
                ),
            ],
            body: text.into_bytes(),
        },
        (After::ConfigForm { slug, submitted }, OpResult::Refused { message, errors }) => {
            let Some(page) = layout::page(&slug) else {
                return not_found();
            };
            let mut sections = layout::sections(page, &snap.config);
            let mut unplaced = Vec::new();
            for e in &errors {
                let field = sections
                    .iter_mut()
                    .flat_map(|s| s.rows.iter_mut().flatten())
                    .find(|f| f.key == e.key);
                match field {
                    Some(f) => f.error = Some(field_message(e)),
                    None => unplaced.push(field_message(e)),
                }
            }
            for f in sections
                .iter_mut()
                .flat_map(|s| s.rows.iter_mut().flatten())
            {
                if let Some((_, v)) = submitted.iter().find(|(k, _)| *k == f.key) {
                    if !layout::is_secret(&f.key) {
                        f.value = v.clone();
                    }
                }
            }
            let frame = Frame {
                title: page.title.to_owned(),
                user: ctx.user,
                csrf: ctx.csrf,
                flash: String::new(),
                error: if unplaced.is_empty() {
                    format!("nothing was changed: {message}")
                } else {
                    format!("nothing was changed: {}", unplaced.join("; "))
                },
                store_banner: banner(snap),
                refresh_s: 0,
            };
            WebResponse::html(400, render::config(frame, &slug, sections))
        }
        (after, result) => {
            let message = match result {
                OpResult::Done(m) => m,
                OpResult::Refused { message, errors } => format!(
                    "refused, nothing was changed: {}",
                    if errors.is_empty() {
                        message
                    } else {
                        errors
                            .iter()
                            .map(field_message)
                            .collect::<Vec<_>>()
                            .join("; ")
                    }
                ),
                OpResult::Failed(m) => format!("failed: {m}"),
                OpResult::Exported(_) | OpResult::Login(_) | OpResult::LoginLockedOut => {
                    String::new()
                }
            };
            set_flash(web, &ctx.sid, &message);
            let to = match after {
                After::ConfigForm { slug, .. } => format!("/config/{slug}"),
                After::Back(p) => p,
                After::Download | After::Login => "/system".into(),
            };
            WebResponse::redirect(&to)
        }
    }
}

fn field_message(e: &FieldError) -> String {
    if e.value.is_empty() {
        format!("{}: allowed: {}", e.key, e.allowed)
    } else {
        format!("{} = {}: allowed: {}", e.key, e.value, e.allowed)
    }
}

/// The changes a configuration form asks for: fields named like schema keys whose value
/// differs from the running configuration. Empty secret fields and empty fields of the "add"
/// row keep what is there.
pub fn config_pairs(form: &[(String, String)], config: &Value) -> Vec<(String, String)> {
    form.iter()
        .filter(|(k, _)| k.contains('.'))
        .filter(|(k, v)| {
            let current = lookup_indexed(config, k);
            if v.is_empty() && (current.is_null() || layout::is_secret(k)) {
                return false;
            }
            layout::is_secret(k) || show(&current) != *v
        })
        .cloned()
        .collect()
}

fn session_of(web: &mut Web, req: &WebRequest, now: Instant) -> Option<Ctx> {
    let sid = req.cookie(SESSION_COOKIE)?.to_owned();
    let idle = web.settings.session_idle_ns;
    let s = web.sessions.touch(&sid, now, idle)?;
    let flash = std::mem::take(&mut s.flash);
    Some(Ctx {
        user: s.user.clone(),
        csrf: s.csrf.clone(),
        sid,
        flash,
    })
}

fn set_flash(web: &mut Web, sid: &str, message: &str) {
    if let Some(s) = web.sessions.get_mut(sid) {
        s.flash = message.to_owned();
    }
}

fn csrf_ok(req: &WebRequest, expected: &str) -> bool {
    let from_form = req
        .form()
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
        .or_else(|| {
            req.multipart()
                .into_iter()
                .find(|(k, _)| k == "csrf")
                .and_then(|(_, v)| String::from_utf8(v).ok())
        });
    from_form.is_some_and(|t| same_token(&t, expected))
}

fn login(req: &WebRequest) -> Outcome {
    let form = req.form();
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let expected = req.cookie(LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_token(&get("csrf"), expected) {
        return Outcome::Reply(WebResponse::text(
            403,
            "the login form's CSRF token is missing or wrong: reload the login page\n",
        ));
    }
    Outcome::Ask {
        op: DeviceOp::CheckLogin {
            user: get("username"),
            password: get("password"),
        },
        then: Then(After::Login),
    }
}

fn login_page(req: &WebRequest, random: [u8; 32], error: &str, status: u16) -> WebResponse {
    // Keep a token the browser already holds: a second login page (another tab, a favicon
    // request sent to the login page) must not invalidate the form on screen.
    let token = match req.cookie(LOGIN_COOKIE) {
        Some(t) if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) => t.to_owned(),
        _ => hex(&random[..16]),
    };
    let frame = Frame {
        title: "Log in".into(),
        csrf: token.clone(),
        error: error.to_owned(),
        ..Frame::default()
    };
    WebResponse::html(status, render::login(frame))
        .header("Set-Cookie", cookie(LOGIN_COOKIE, &token, req.secure, -1))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure under HTTPS; `max_age` 0 deletes
/// it, -1 makes a session cookie.
fn cookie(name: &str, value: &str, secure: bool, max_age: i64) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if max_age >= 0 {
        c.push_str(&format!("; Max-Age={max_age}"));
    }
    c
}

fn not_found() -> WebResponse {
    WebResponse::text(404, "no such page\n")
}

fn banner(snap: &Snapshot) -> String {
    let s = &snap.store;
    let mut parts = Vec::new();
    if !s.staged.is_empty() {
        parts.push(format!("not applied: {}", s.staged.join(", ")));
    }
    if !s.unsaved.is_empty() {
        parts.push(format!("not saved: {}", s.unsaved.join(", ")));
    }
    if !s.needs_reboot.is_empty() {
        parts.push(format!("needs reboot: {}", s.needs_reboot.join(", ")));
    }
    parts.join(" · ")
}

fn staged_text(snap: &Snapshot) -> String {
    if snap.store.staged.is_empty() {
        "nothing".into()
    } else {
        snap.store.staged.join(", ")
    }
}
