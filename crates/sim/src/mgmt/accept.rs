//! The accept loop every management service uses: a cap on open connections, and survival when
//! the process runs out of file descriptors.
//!
//! Beyond the cap a connection is accepted, told it is refused (the service's `busy_reply`) and
//! closed at once: a cap that stopped accepting would let the listen backlog fill, and every
//! new client would hang until an idle connection timed out. When `accept` fails for want of
//! descriptors (EMFILE/ENFILE), the connection stays queued and the listener stays readable, so
//! retrying at once would spin. Instead the loop logs it, frees a descriptor kept in reserve,
//! accepts and closes what is waiting (those clients learn at once), takes the reserve back,
//! and pauses [`ACCEPT_BACKOFF`] before accepting again. As soon as connections close, it
//! serves again.
//!
//! The reserve is one descriptor for the whole management thread, not one per service: every
//! accept loop runs on that one thread, so only one of them sheds at a time, and a fleet of
//! devices (three services each) does not hold three idle descriptors per device for it.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

/// Pause after an accept error (out of descriptors, out of memory) before the next accept.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Most queued connections closed in one round while out of descriptors.
const SHED_PER_ROUND: usize = 256;

/// Least time between two warnings about accept errors (the errors repeat while they last).
const WARN_EVERY: Duration = Duration::from_secs(5);

/// How one service accepts.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The service's name, for logs.
    pub name: &'static str,
    /// Most connections open at once; more are refused.
    pub max_connections: usize,
    /// Written (best effort, without waiting) to a connection that is refused before it is
    /// closed, e.g. an HTTP 503.
    pub busy_reply: &'static [u8],
}

/// Accepts connections on `listener` for ever, running `handle(stream)` for each one within the
/// cap. Must run on the management thread (it spawns local tasks).
pub async fn run<H, Fut>(listener: TcpListener, policy: Policy, handle: H)
where
    H: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + 'static,
{
    // Takes the thread's reserve now, while descriptors are to be had.
    RESERVE.with(|_| ());
    let open = Rc::new(Cell::new(0usize));
    let mut last_warning: Option<Instant> = None;
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                if open.get() >= policy.max_connections {
                    refuse(stream, policy.busy_reply);
                    continue;
                }
                let slot = Slot::take(&open);
                let served = handle(stream);
                tokio::task::spawn_local(async move {
                    served.await;
                    drop(slot);
                });
            }
            Err(e) => {
                let out_of_descriptors = matches!(
                    e.raw_os_error(),
                    Some(nix::libc::EMFILE | nix::libc::ENFILE)
                );
                let now = Instant::now();
                if last_warning.is_none_or(|t| now.duration_since(t) >= WARN_EVERY) {
                    tracing::warn!(
                        service = policy.name,
                        open = open.get(),
                        "accept failed: {e}; refusing new connections until descriptors are free"
                    );
                    last_warning = Some(now);
                }
                if out_of_descriptors {
                    RESERVE.with(|r| drop(r.borrow_mut().take()));
                    shed(&listener, policy.busy_reply).await;
                    RESERVE.with(|r| *r.borrow_mut() = spare_descriptor());
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// Accepts and closes the connections already waiting (with the one descriptor just freed).
async fn shed(listener: &TcpListener, busy_reply: &[u8]) {
    for _ in 0..SHED_PER_ROUND {
        // A zero timeout still polls the accept once: it ends the loop when nothing waits.
        match tokio::time::timeout(Duration::ZERO, listener.accept()).await {
            Ok(Ok((stream, _))) => refuse(stream, busy_reply),
            Ok(Err(_)) | Err(_) => return,
        }
    }
}

/// Tells a connection it is refused (if its send buffer takes it at once) and closes it.
fn refuse(stream: TcpStream, busy_reply: &[u8]) {
    let _ = stream.try_write(busy_reply);
    drop(stream);
}

thread_local! {
    /// The management thread's reserve descriptor, shared by all its accept loops (taken when
    /// the first one starts).
    static RESERVE: RefCell<Option<std::fs::File>> = RefCell::new(spare_descriptor());
}

/// A descriptor held only so it can be given up when the process has no other.
fn spare_descriptor() -> Option<std::fs::File> {
    std::fs::File::open("/dev/null").ok()
}

/// One of the open connections counted against the cap; given back when dropped.
struct Slot(Rc<Cell<usize>>);

impl Slot {
    fn take(open: &Rc<Cell<usize>>) -> Slot {
        open.set(open.get() + 1);
        Slot(open.clone())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}
