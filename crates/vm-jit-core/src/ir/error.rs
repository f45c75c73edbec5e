//! Errors about IR: malformed bytes or a block that breaks a rule of docs/IR.md.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrError {
    pub message: String,
}

impl IrError {
    pub fn new(message: impl Into<String>) -> IrError {
        IrError { message: message.into() }
    }
}

impl fmt::Display for IrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IrError {}
