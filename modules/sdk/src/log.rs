//! Writing to the server's log. Each line is tagged by the host with the module and
//! the call, so a message need not repeat them.

use crate::bindings::turnstile::module::context::{self, LogLevel};

/// Logs `message` at level error.
pub fn error(message: &str) {
    context::log(LogLevel::Error, message);
}

/// Logs `message` at level warn.
pub fn warn(message: &str) {
    context::log(LogLevel::Warn, message);
}

/// Logs `message` at level info.
pub fn info(message: &str) {
    context::log(LogLevel::Info, message);
}

/// Logs `message` at level debug.
pub fn debug(message: &str) {
    context::log(LogLevel::Debug, message);
}

/// Logs `message` at level trace.
pub fn trace(message: &str) {
    context::log(LogLevel::Trace, message);
}
