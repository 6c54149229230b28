//! The issuance ledger: one JSON object per line (JSON Lines) for every certificate this tool
//! issued or signed, and for every hand-over (`export`). A client certificate cannot be revoked,
//! so this is how an administrator answers "what did we hand out, to whom, until when?".
//!
//! - [`record`]: what a line holds. Never a key: only what the certificate itself makes public.
//! - [`store`]: where the file lives, locked appends of whole lines, and reading it back.

mod record;
mod store;

pub use record::{Destination, Event, Record, local_user};
pub use store::{Ledger, LedgerError, default_path, read};
