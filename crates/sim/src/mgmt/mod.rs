//! The management runtime: one helper thread per process that hosts the device's management
//! services (the control API today; the web UI and the SSH console later).
//!
//! The data path stays on the mio loop. Management traffic is many slow, mostly idle
//! connections, which an async runtime holds cheaply: the thread runs a tokio `current_thread`
//! runtime with a `LocalSet`, so a thousand idle clients cost a thousand small tasks, not a
//! thousand threads. A service is registered with [`spawn`]: a `Send` closure that builds the
//! service's (not necessarily `Send`) future on the management thread. Services reach the device
//! the way every helper thread does: a crossbeam channel to the loop and its `mio::Waker`.
//!
//! [`accept`] is the one accept loop every TCP service uses (connection cap, descriptor
//! exhaustion), [`http`] serves HTTP/1.1 connections with hyper under fixed timeouts.
//! docs/architecture.md and docs/dependencies.md explain the choice of crates.

pub mod accept;
pub mod http;

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// A service's future, built on the management thread.
type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// A request to start a service: runs on the management thread and returns its future.
type Job = Box<dyn FnOnce() -> LocalFuture + Send>;

/// The process's management thread, started by the first [`spawn`].
static RUNTIME: OnceLock<Result<UnboundedSender<Job>, String>> = OnceLock::new();

/// Starts `make()`'s future on the management thread (starting the thread on first use). The
/// future runs until it ends or the process exits; it may hold `!Send` state (hyper
/// connections, TLS contexts) because it never leaves that thread.
pub fn spawn<F, Fut>(make: F) -> Result<(), String>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let jobs = RUNTIME.get_or_init(start).as_ref().map_err(Clone::clone)?;
    jobs.send(Box::new(move || Box::pin(make()) as LocalFuture))
        .map_err(|_| "the management thread has stopped".to_owned())
}

/// Starts the thread: a current-thread runtime whose `LocalSet` runs every job it is sent.
fn start() -> Result<UnboundedSender<Job>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("management runtime: {e}"))?;
    let (tx, mut rx) = unbounded_channel::<Job>();
    std::thread::Builder::new()
        .name("management".into())
        .spawn(move || {
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                while let Some(job) = rx.recv().await {
                    tokio::task::spawn_local(job());
                }
            });
        })
        .map_err(|e| format!("management thread: {e}"))?;
    Ok(tx)
}
