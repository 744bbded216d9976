//! The simulator's live front panel at `/panel` on the control API's port (not on the device's
//! web server): LEDs, line signals, sessions, counters, a byte-rate graph and the active
//! faults, updated from `GET /status` and a server-sent-events copy of the event stream
//! (`GET /panel/events`). Static files only; the browser does the drawing.

/// The page, its stylesheet and script: (path, content type, body).
pub const FILES: &[(&str, &str, &str)] = &[
    (
        "/panel",
        "text/html; charset=utf-8",
        include_str!("panel.html"),
    ),
    ("/panel/panel.css", "text/css", include_str!("panel.css")),
    (
        "/panel/panel.js",
        "text/javascript",
        include_str!("panel.js"),
    ),
];

/// The static file at `path`, if it is one of the panel's.
pub fn file(path: &str) -> Option<(&'static str, &'static str)> {
    let path = path.trim_end_matches('/');
    FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, t, body)| (*t, *body))
}
