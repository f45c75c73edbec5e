//! `stitch`: member blocks → one region block.
//!
//! Layout of the region's main body, one section per member in the order given (the first is the
//! entry):
//!
//! ```text
//! label head_i          ; the section's entry: exits to pc_i from any section jump here
//! mark pc_i             ; ops before the member's own first mark report pc_i, as they did
//! local_set l, 0 …      ; the member's locals start at zero at every entry (docs/IR.md)
//! … the member's ops, values / labels / locals / helper ids renumbered …
//! ```
//!
//! An `exit` whose pc is a constant member pc becomes `mark target; jump head_target`. The `mark`
//! makes a fuel or interrupt exit taken on that edge (a back edge when the target section comes
//! first) report the target's pc: the guest resumes exactly where the jump would have gone, with
//! everything the source member did already done — resuming at the source's last instruction
//! would run it twice. Other exits, halts and traps are unchanged. Helpers are concatenated (each
//! member's keep their order, so helpers still only call lower indices).
//!
//! What changes against running the members one by one: fuel. A chained transition between
//! blocks costs one fuel; inside a region a forward jump costs none and a backward one costs one
//! (it is a back edge). Everything else — state, memory, exit, pc, trap code, fault address — is
//! what the members compute, and a fuel/interrupt exit leaves the guest resumable at its pc.

use std::collections::HashMap;

use crate::ir::{self, Block, Body, Function, IrError, Op, Value, VerifiedBlock};

/// Size limits of a region (compile time and code size grow with it).
#[derive(Clone, Copy, Debug)]
pub struct RegionLimits {
    /// Member blocks at most.
    pub max_blocks: usize,
    /// Ops in all bodies of the region at most (members' ops plus what stitching adds).
    pub max_ops: usize,
}

impl Default for RegionLimits {
    fn default() -> Self {
        RegionLimits { max_blocks: 32, max_ops: 8192 }
    }
}

/// A stitched region.
#[derive(Debug)]
pub struct Region {
    /// The region as one verified block; its pc is the entry member's.
    pub block: VerifiedBlock,
    /// Member pcs, entry first.
    pub members: Vec<u64>,
    /// Exits that became jumps inside the region.
    pub internal_edges: usize,
}

/// The distinct constant pcs the main body's `exit` ops go to, in op order: the blocks a region
/// starting with this one could take in.
pub fn constant_exit_targets(vb: &VerifiedBlock) -> Vec<u64> {
    let const_of = vb.main_constants();
    let mut out = Vec::new();
    for op in &vb.block.main.ops {
        if let Op::Exit { pc } = op {
            if let Some(t) = const_of[*pc as usize] {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
    }
    out
}

/// Stitches `members` (entry first, distinct pcs) into one verified region block.
pub fn stitch(members: &[VerifiedBlock], limits: RegionLimits) -> Result<Region, IrError> {
    let err = |m: String| Err(IrError::new(format!("region: {m}")));
    if members.is_empty() {
        return err("no blocks".into());
    }
    if members.len() > limits.max_blocks {
        return err(format!("{} blocks; the limit is {}", members.len(), limits.max_blocks));
    }
    let mut head: HashMap<u64, u32> = HashMap::new();
    for (i, m) in members.iter().enumerate() {
        if head.insert(m.block.pc, i as u32).is_some() {
            return err(format!("the block at pc {:#x} is given twice", m.block.pc));
        }
    }
    // Added per member: label, mark, two ops per local; per internal edge: one mark.
    let added: usize = members.iter().map(|m| 2 + 2 * m.block.main.locals.len() + m.block.main.ops.len() / 4).sum();
    let ops: usize = members.iter().map(|m| m.op_count).sum::<usize>() + added;
    if ops > limits.max_ops {
        return err(format!("about {ops} ops; the limit is {}", limits.max_ops));
    }

    let n = members.len() as u32;
    let mut main = Body { locals: Vec::new(), num_labels: n, ops: Vec::new() };
    let mut funcs: Vec<Function> = Vec::new();
    let mut next_value: Value = 0;
    let mut internal_edges = 0;
    for (i, m) in members.iter().enumerate() {
        let label_base = main.num_labels;
        let local_base = main.locals.len() as u32;
        let func_base = funcs.len() as u32;
        main.num_labels += m.block.main.num_labels;
        main.locals.extend_from_slice(&m.block.main.locals);
        for f in &m.block.funcs {
            let mut f = f.clone();
            f.body.ops = f.body.ops.iter().map(|op| shift_calls(op, func_base)).collect();
            funcs.push(f);
        }

        main.ops.push(Op::Label { label: i as u32 });
        main.ops.push(Op::Mark { pc: m.block.pc });
        for (k, t) in m.block.main.locals.iter().enumerate() {
            main.ops.push(Op::Const { ty: *t, bits: 0 });
            main.ops.push(Op::LocalSet { local: local_base + k as u32, value: next_value });
            next_value += 1;
        }

        let const_of = m.main_constants();
        let mut map: Vec<Value> = vec![Value::MAX; m.main.value_types.len()];
        // The mark in effect in the region's body: kept equal to the member's current mark at
        // every op but labels (a stitched edge's own mark would otherwise leak into what follows).
        let mut current = m.block.pc;
        for (at, op) in m.block.main.ops.iter().enumerate() {
            if let Op::Exit { pc } = op {
                if let Some(&target) = const_of[*pc as usize].as_ref().and_then(|t| head.get(t)) {
                    current = members[target as usize].block.pc;
                    main.ops.push(Op::Mark { pc: current });
                    main.ops.push(Op::Jump { label: target });
                    internal_edges += 1;
                    continue;
                }
            }
            match op {
                Op::Mark { pc } => current = *pc,
                Op::Label { .. } => {}
                _ if current != m.main.marks[at] => {
                    current = m.main.marks[at];
                    main.ops.push(Op::Mark { pc: current });
                }
                _ => {}
            }
            let mut new = crate::opt::util::map_values(op, |v| map[v as usize]);
            match &mut new {
                Op::Label { label } | Op::Jump { label } => *label += label_base,
                Op::Brif { then_label, else_label, .. } => {
                    *then_label += label_base;
                    *else_label += label_base;
                }
                Op::LocalGet { local } | Op::LocalSet { local, .. } => *local += local_base,
                Op::Call { func, .. } => *func += func_base,
                _ => {}
            }
            if let Some(v) = m.main.op_value[at] {
                map[v as usize] = next_value;
                next_value += 1;
            }
            main.ops.push(new);
        }
    }
    let block = Block { pc: members[0].block.pc, funcs, main };
    let vb = ir::verify(block).map_err(|e| IrError::new(format!("region: the stitched block does not verify: {e}")))?;
    Ok(Region { block: vb, members: members.iter().map(|m| m.block.pc).collect(), internal_edges })
}

fn shift_calls(op: &Op, by: u32) -> Op {
    match op {
        Op::Call { func, args } => Op::Call { func: func + by, args: args.clone() },
        other => other.clone(),
    }
}
