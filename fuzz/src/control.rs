//! The control API's request → call parsing, exactly as `crates/sim/src/control` has it.
#[path = "../../crates/sim/src/control/call.rs"]
mod call;
#[path = "../../crates/sim/src/control/faults.rs"]
mod faults;
#[path = "../../crates/sim/src/control/routes.rs"]
pub mod routes;
#[path = "../../crates/sim/src/control/store_routes.rs"]
mod store_routes;

pub use call::{Call, Reply, StoreCall};
