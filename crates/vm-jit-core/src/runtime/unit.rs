//! `Unit`: one block's code as the runtime knows it — compiled machine code or an interpreter
//! program — with its id (its execution counter's index) and its chainable exits.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use crate::backend::{with_thread_backend, BackendConfig, CompiledBlock, OptLevel};
use crate::interp::Program;
use crate::ir::{IrError, Op, VerifiedBlock};
use crate::lower::ChainInfo;
use crate::opt::Optimizer;

use super::{registry, UnitOptions};

pub enum UnitCode {
    Compiled(CompiledBlock),
    Interpreted(Program),
}

pub struct Unit {
    /// Index of the unit's execution counter; unique among live units.
    pub id: u32,
    pub pc: u64,
    /// 0 interpreted, 1 fast, 2 optimised.
    pub tier: u8,
    pub code: UnitCode,
    pub state_size: u32,
    /// Guest pc of each chainable exit (an `exit` to a constant pc).
    pub exit_pcs: Box<[u64]>,
    /// Entry point of the block each chainable exit jumps to, or 0: patched by the registry as
    /// blocks come and go; read by the generated code.
    pub slots: Box<[AtomicUsize]>,
    /// Bytes of machine code (0 when interpreted).
    pub code_size: usize,
    pub op_count: usize,
}

impl Unit {
    /// Entry point for chaining (compiled units only).
    pub fn entry(&self) -> Option<usize> {
        match &self.code {
            UnitCode::Compiled(c) => Some(c.entry() as usize),
            UnitCode::Interpreted(_) => None,
        }
    }
}

/// The chainable exits of a block: `exit` ops of the main body whose pc is a constant.
pub fn chainable_exits(vb: &VerifiedBlock) -> (Vec<Option<u32>>, Vec<u64>) {
    let main = &vb.block.main;
    let const_of = vb.main_constants();
    let mut slot_of_op = vec![None; main.ops.len()];
    let mut pcs = Vec::new();
    for (at, op) in main.ops.iter().enumerate() {
        if let Op::Exit { pc } = op {
            if let Some(target) = const_of[*pc as usize] {
                slot_of_op[at] = Some(pcs.len() as u32);
                pcs.push(target);
            }
        }
    }
    (slot_of_op, pcs)
}

/// Builds and registers a unit; `config` None means tier 0 (interpreted).
pub(super) fn build(
    vb: &VerifiedBlock,
    config: Option<&BackendConfig>,
    options: UnitOptions,
) -> Result<Arc<Unit>, IrError> {
    let id = registry::reserve_id()?;
    let result = build_with_id(vb, config, id, options);
    match result {
        Ok(unit) => Ok(registry::add(unit)),
        Err(e) => {
            registry::release_reserved(id);
            Err(e)
        }
    }
}

fn build_with_id(
    vb: &VerifiedBlock,
    config: Option<&BackendConfig>,
    id: u32,
    options: UnitOptions,
) -> Result<Unit, IrError> {
    let Some(config) = config else {
        return Ok(Unit {
            id,
            pc: vb.block.pc,
            tier: 0,
            code: UnitCode::Interpreted(Program::new(vb)),
            state_size: vb.state_size,
            exit_pcs: Box::new([]),
            slots: Box::new([]),
            code_size: 0,
            op_count: vb.op_count,
        });
    };
    // Tier 2 is our IR passes, then Cranelift at opt_level speed (docs/ARCHITECTURE.md).
    let optimized;
    let vb = if config.opt_level != OptLevel::None {
        optimized = Optimizer::default_pipeline().optimize(vb)?.0;
        &optimized
    } else {
        vb
    };
    let chainable = options.chainable;
    let (slot_of_op, exit_pcs) = if chainable { chainable_exits(vb) } else { (Vec::new(), Vec::new()) };
    // The slots live at a fixed heap address that the code embeds, so they exist before the code.
    let slots: Box<[AtomicUsize]> = exit_pcs.iter().map(|_| AtomicUsize::new(0)).collect();
    // Standalone units (not chainable) return to their caller at every exit, dynamic ones too.
    let counter = options.counted.then_some(id);
    let chain = ChainInfo { counter, slots_addr: slots.as_ptr() as usize, slot_of_op, jump_cache: chainable };
    let code = with_thread_backend(config, |b| b.compile_chained(vb, Some(&chain)))??;
    Ok(Unit {
        id,
        pc: vb.block.pc,
        tier: super::tier_of(config.opt_level),
        code_size: code.code_size(),
        code: UnitCode::Compiled(code),
        state_size: vb.state_size,
        exit_pcs: exit_pcs.into_boxed_slice(),
        slots,
        op_count: vb.op_count,
    })
}
