//! The verifier's product: a block plus the facts every consumer (interpreter, lowering, passes)
//! needs and must not recompute differently. Only `verify` constructs it.

use super::op::{Block, Op, Value};
use super::types::Type;

/// Facts about one body (main or helper).
#[derive(Clone, Debug, PartialEq)]
pub struct BodyInfo {
    /// Type of every value id (helper parameters first).
    pub value_types: Vec<Type>,
    /// The value each op defines, if any (`op_value[i]` for `body.ops[i]`).
    pub op_value: Vec<Option<Value>>,
    /// Op index of the `label` op that binds each label.
    pub label_pos: Vec<usize>,
    /// The current mark (docs/IR.md) of each op: the guest pc reported if that op faults or runs
    /// out of fuel. Helpers have the block pc here; their faults report the caller's mark.
    pub marks: Vec<u64>,
}

impl BodyInfo {
    /// Is a branch at op index `at` to `label` a back edge (costs fuel)?
    pub fn is_back_edge(&self, at: usize, label: u32) -> bool {
        self.label_pos[label as usize] <= at
    }
}

/// A block that passed verification.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedBlock {
    pub block: Block,
    pub main: BodyInfo,
    pub funcs: Vec<BodyInfo>,
    /// Bytes of guest state the block touches: the largest `offset + width` (helpers included).
    pub state_size: u32,
    /// Ops in all bodies.
    pub op_count: usize,
}

impl VerifiedBlock {
    /// For each main-body value defined by a `const`, its bits: how exits to constant pcs are
    /// recognised (chaining in the runtime, stitching in regions).
    pub fn main_constants(&self) -> Vec<Option<u64>> {
        let mut const_of = vec![None; self.main.value_types.len()];
        for (at, op) in self.block.main.ops.iter().enumerate() {
            if let (Op::Const { bits, .. }, Some(v)) = (op, self.main.op_value[at]) {
                const_of[v as usize] = Some(*bits);
            }
        }
        const_of
    }
}
