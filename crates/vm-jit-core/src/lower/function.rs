//! `FnLower`: what one Cranelift function shares while its bodies are lowered — the context
//! pointer and values loaded from it, the fuel variable, and the ways out (exits, pending exits,
//! real calls to helpers).

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC as CIntCC;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, MemFlagsData, Value as CValue};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};

use crate::ctx;
use crate::ir::{ExitReason, Op, VerifiedBlock};

use super::body::{BodyLower, MarkSource, RetMode};
use super::promote::Promoted;
use super::{signature, ChainInfo, FuncKey, InlinePlan, Target};

/// Where an exit taken inside a body goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitTo {
    /// Leave the block with this guest pc (main body, or a helper inlined into it).
    Direct(u64),
    /// Inside a standalone helper: record the exit in the context and return to the caller,
    /// which exits with the pc of its call site.
    Pending,
}

pub struct FnLower<'a, 'f> {
    pub b: FunctionBuilder<'f>,
    pub vb: &'a VerifiedBlock,
    pub plan: &'a InlinePlan,
    pub target: Target,
    key: FuncKey,
    pub ctx: CValue,
    /// Loaded at entry when the block uses them (`Needs`); present whenever an op needs them.
    pub state: Option<CValue>,
    pub mem: Option<CValue>,
    pub mem_limit: [Option<CValue>; 4],
    interrupt: Option<CValue>,
    pub fuel: Variable,
    needs: Needs,
    pub chain: Option<&'a ChainInfo>,
    /// Guest state slots held in variables (main function of a looping block at tier 2).
    pub promoted: Promoted,
    /// Main function: `(reason: i32, pc: i64, aux: i64)` → store into the context, return reason.
    exit_block: Option<ir::Block>,
    /// Standalone helper: `(reason: i32, aux: i64)` → record as pending, return zeros.
    pending_block: Option<ir::Block>,
    func_refs: HashMap<u32, ir::FuncRef>,
}

/// What a block's code touches, so that the entry loads only that.
#[derive(Clone, Copy, Debug, Default)]
struct Needs {
    state: bool,
    /// Guest memory accesses of 1, 2, 4, 8 bytes.
    mem_widths: [bool; 4],
    back_edges: bool,
    calls: bool,
}

impl Needs {
    /// Scans every body of the block (a function may inline any helper).
    fn of(vb: &VerifiedBlock) -> Needs {
        let mut n = Needs::default();
        let bodies = std::iter::once((&vb.block.main, &vb.main))
            .chain(vb.block.funcs.iter().zip(&vb.funcs).map(|(f, i)| (&f.body, i)));
        for (body, info) in bodies {
            for (at, op) in body.ops.iter().enumerate() {
                match op {
                    Op::GetState { .. } | Op::SetState { .. } => n.state = true,
                    Op::Load { width, .. } | Op::Store { width, .. } => {
                        n.mem_widths[ctx::limit_index(*width as u32)] = true
                    }
                    Op::Jump { label } => n.back_edges |= info.is_back_edge(at, *label),
                    Op::Brif { then_label, else_label, .. } => {
                        n.back_edges |= info.is_back_edge(at, *then_label) || info.is_back_edge(at, *else_label)
                    }
                    Op::Call { .. } => n.calls = true,
                    _ => {}
                }
            }
        }
        n
    }

    /// Fuel is read and written back only by blocks that can spend it (back edges), or whose
    /// helpers can.
    fn fuel(&self) -> bool {
        self.back_edges || self.calls
    }
}

/// Flags for the context and guest state: host memory we own, always valid.
pub fn host_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

impl<'a, 'f> FnLower<'a, 'f> {
    pub fn lower(
        func: &'f mut ir::Function,
        vb: &'a VerifiedBlock,
        key: FuncKey,
        plan: &'a InlinePlan,
        target: Target,
        chain: Option<&'a ChainInfo>,
        fctx: &'f mut FunctionBuilderContext,
    ) {
        let mut b = FunctionBuilder::new(func, fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let ctx = params[0];
        let pt = target.pointer_type;
        // Loaded once at entry, and only what the block uses (compile time matters at tier 1):
        // read-only for the whole run, so Cranelift may keep them in registers.
        let needs = Needs::of(vb);
        let ro = MemFlagsData::trusted().with_readonly();
        let load_if =
            |b: &mut FunctionBuilder, need: bool, ty: ir::Type, off: i32| need.then(|| b.ins().load(ty, ro, ctx, off));
        let state = load_if(&mut b, needs.state, pt, ctx::OFF_STATE);
        let mem = load_if(&mut b, needs.mem_widths.iter().any(|w| *w), pt, ctx::OFF_MEMORY);
        let mem_limit = [0, 1, 2, 3]
            .map(|k| load_if(&mut b, needs.mem_widths[k], ir::types::I64, ctx::OFF_MEM_LIMIT + 8 * k as i32));
        let interrupt = load_if(&mut b, needs.back_edges, pt, ctx::OFF_INTERRUPT);
        let promoted = match (key, state) {
            (FuncKey::Main, Some(state)) => Promoted::enter(&mut b, state, Promoted::plan(vb, plan, needs.back_edges)),
            _ => Promoted::default(),
        };
        let fuel = b.declare_var(ir::types::I64);
        if key == FuncKey::Main {
            // Blocks receive fuel as an argument (it travels in a register along chains).
            b.def_var(fuel, params[1]);
        } else if needs.fuel() {
            let f0 = b.ins().load(ir::types::I64, MemFlagsData::trusted(), ctx, ctx::OFF_FUEL);
            b.def_var(fuel, f0);
        }
        if let (FuncKey::Main, Some(counter)) = (key, chain.and_then(|c| c.counter)) {
            // Count this entry: the tiered runtime reads these counters (no call per count).
            let counters = b.ins().load(pt, ro, ctx, ctx::OFF_COUNTERS);
            let n = b.ins().load(ir::types::I32, MemFlagsData::trusted(), counters, (counter * 4) as i32);
            let n = b.ins().iadd_imm_s(n, 1);
            b.ins().store(MemFlagsData::trusted(), n, counters, (counter * 4) as i32);
        }

        let mut fl = FnLower {
            b,
            vb,
            plan,
            target,
            key,
            ctx,
            state,
            mem,
            mem_limit,
            interrupt,
            fuel,
            needs,
            chain,
            promoted,
            exit_block: None,
            pending_block: None,
            func_refs: HashMap::new(),
        };
        match key {
            FuncKey::Main => {
                let body = &vb.block.main;
                let mut bl = BodyLower::new(&mut fl, body, &vb.main, &[], MarkSource::PerOp, RetMode::None);
                bl.lower_ops(&mut fl);
            }
            FuncKey::Helper(k) => {
                let f = &vb.block.funcs[k as usize];
                let args = params[1..].to_vec();
                let mut bl = BodyLower::new(
                    &mut fl,
                    &f.body,
                    &vb.funcs[k as usize],
                    &args,
                    MarkSource::Fixed(ExitTo::Pending),
                    RetMode::Return,
                );
                bl.lower_ops(&mut fl);
            }
        }
        fl.finish_exit_blocks();
        fl.b.seal_all_blocks();
        fl.b.finalize(target.frontend);
    }

    /// Leaves through `to` with `reason` and `aux`; ends the current Cranelift block.
    pub fn leave(&mut self, to: ExitTo, reason: ExitReason, aux: CValue) {
        let r = self.b.ins().iconst(ir::types::I32, reason as i64);
        self.leave_dyn(to, r, aux);
    }

    /// Like `leave`, with the reason as a run-time value (an i32).
    fn leave_dyn(&mut self, to: ExitTo, reason: CValue, aux: CValue) {
        match to {
            ExitTo::Direct(pc) => {
                let blk = self.exit_block();
                let pc = self.b.ins().iconst(ir::types::I64, pc as i64);
                self.b.ins().jump(blk, &[BlockArg::Value(reason), BlockArg::Value(pc), BlockArg::Value(aux)]);
            }
            ExitTo::Pending => {
                let blk = self.pending_block();
                self.b.ins().jump(blk, &[BlockArg::Value(reason), BlockArg::Value(aux)]);
            }
        }
    }

    /// Leaves with a guest pc computed at run time (exit/halt/trap ops of the main body).
    pub fn leave_with_pc(&mut self, reason: ExitReason, pc: CValue, aux: CValue) {
        let blk = self.exit_block();
        let r = self.b.ins().iconst(ir::types::I32, reason as i64);
        self.b.ins().jump(blk, &[BlockArg::Value(r), BlockArg::Value(pc), BlockArg::Value(aux)]);
    }

    /// If `bad` is non-zero, leaves through `to` (in a cold block); else continues here.
    pub fn leave_if(&mut self, bad: CValue, to: ExitTo, reason: ExitReason, aux: CValue) {
        let cold = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(cold);
        self.b.ins().brif(bad, cold, &[], cont, &[]);
        self.b.switch_to_block(cold);
        self.leave(to, reason, aux);
        self.b.switch_to_block(cont);
    }

    /// The check every back edge makes (docs/IR.md): on the hot path one test of the fuel's low
    /// bits; only every `FUEL_CHECK_INTERVAL` edges, in a cold block, the exhaustion and
    /// interrupt checks.
    pub fn back_edge_check(&mut self, to: ExitTo) {
        let f = self.b.use_var(self.fuel);
        let low = self.b.ins().band_imm_u(f, (crate::ir::FUEL_CHECK_INTERVAL - 1) as i64);
        let slow = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(low, cont, &[], slow, &[]);
        self.b.switch_to_block(slow);
        let zero = self.b.ins().iconst(ir::types::I64, 0);
        let empty = self.b.ins().icmp_imm_u(CIntCC::Equal, f, 0);
        self.leave_if(empty, to, ExitReason::Fuel, zero);
        // The whole check point is cold, not just its first block: otherwise its continuation
        // blocks sit in the hot layout and the hot path jumps over them.
        self.set_current_cold();
        let flag = self.b.ins().load(ir::types::I32, MemFlagsData::trusted(), self.interrupt.expect("needs"), 0);
        self.leave_if(flag, to, ExitReason::Interrupt, zero);
        self.set_current_cold();
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        let f = self.b.ins().iadd_imm_s(f, -1);
        self.b.def_var(self.fuel, f);
    }

    fn set_current_cold(&mut self) {
        if let Some(blk) = self.b.current_block() {
            self.b.set_cold_block(blk);
        }
    }

    /// A real call to standalone helper `k`; exits through `to` if the helper exited.
    pub fn call_helper(&mut self, k: u32, args: &[CValue], to: ExitTo) -> Option<CValue> {
        let fref = self.func_ref(k);
        let fuel = self.b.use_var(self.fuel);
        self.b.ins().store(MemFlagsData::trusted(), fuel, self.ctx, ctx::OFF_FUEL);
        let mut call_args = vec![self.ctx];
        call_args.extend_from_slice(args);
        let call = self.b.ins().call(fref, &call_args);
        let result = self.b.inst_results(call).first().copied();
        let fuel = self.b.ins().load(ir::types::I64, MemFlagsData::trusted(), self.ctx, ctx::OFF_FUEL);
        self.b.def_var(self.fuel, fuel);
        let pending = self.b.ins().load(ir::types::I32, MemFlagsData::trusted(), self.ctx, ctx::OFF_PENDING);
        let cold = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(cold);
        self.b.ins().brif(pending, cold, &[], cont, &[]);
        self.b.switch_to_block(cold);
        match to {
            ExitTo::Direct(_) => {
                let aux = self.b.ins().load(ir::types::I64, MemFlagsData::trusted(), self.ctx, ctx::OFF_EXIT_AUX);
                self.leave_dyn(to, pending, aux);
            }
            // The callee already recorded everything; just unwind one more level.
            ExitTo::Pending => self.return_zeros(),
        }
        self.b.switch_to_block(cont);
        result
    }

    fn func_ref(&mut self, k: u32) -> ir::FuncRef {
        if let Some(f) = self.func_refs.get(&k) {
            return *f;
        }
        let sig = signature(self.vb, FuncKey::Helper(k), self.target);
        let sig = self.b.import_signature(sig);
        let name = self.b.func.declare_imported_user_function(ir::UserExternalName::new(0, k));
        let fref = self.b.import_function(ir::ExtFuncData {
            name: ir::ExternalName::user(name),
            signature: sig,
            colocated: true,
            patchable: false,
        });
        self.func_refs.insert(k, fref);
        fref
    }

    /// Returns from a standalone helper with zero results (after a pending exit).
    fn return_zeros(&mut self) {
        let FuncKey::Helper(k) = self.key else { unreachable!("only helpers have pending exits") };
        let zeros: Vec<CValue> =
            self.vb.block.funcs[k as usize].result.iter().map(|t| super::arith::constant(&mut self.b, *t, 0)).collect();
        self.b.ins().return_(&zeros);
    }

    /// An `exit` to the constant guest pc `pc` through chain slot `slot`: when the slot holds the
    /// next block's entry and this is not a fuel check point, pay one fuel and jump straight into
    /// it (a tail call: no return to the dispatcher); otherwise exit normally.
    pub fn chained_exit(&mut self, slot: u32, pc: CValue) {
        let slots = self.chain.expect("chained exits need chain info").slots_addr;
        let t = self.target.pointer_type;
        let base = self.b.ins().iconst(t, slots as i64);
        let entry = self.b.ins().load(t, MemFlagsData::trusted(), base, (slot * 8) as i32);
        let f = self.b.use_var(self.fuel);
        let low = self.b.ins().band_imm_u(f, (crate::ir::FUEL_CHECK_INTERVAL - 1) as i64);
        // Two branches rather than one on (low != 0) & (entry != 0): on x86_64 each test fuses
        // with its jump, where the `band` of two comparisons took two setcc and a third test —
        // and this is the path of every block-to-block transition.
        let linked = self.b.create_block();
        let normal = self.b.create_block();
        self.b.ins().brif(low, linked, &[], normal, &[]);
        self.b.switch_to_block(linked);
        self.enter_if_linked(entry, f, pc, normal);
    }

    /// An `exit` to the pc computed in `pc`: when the runtime's jump cache holds a unit for it and
    /// this is not a fuel check point, pay one fuel and tail-call that unit, as a chained exit
    /// does; otherwise exit normally (runtime::jump_cache).
    pub fn cached_exit(&mut self, pc: CValue) {
        use crate::runtime::jump_cache::{JUMP_CACHE_ENTRIES, JUMP_ENTRY_SHIFT, OFF_JUMP_ENTRY, OFF_JUMP_PC};
        let t = self.target.pointer_type;
        let ro = MemFlagsData::trusted().with_readonly();
        let table = self.b.ins().load(t, ro, self.ctx, ctx::OFF_JUMP_CACHE);
        // &table[slot_of(pc)]: ((pc >> 1) & (N - 1)) << 4, as jump_cache::slot_of.
        let index = self.b.ins().ushr_imm_u(pc, 1);
        let index = self.b.ins().band_imm_u(index, (JUMP_CACHE_ENTRIES - 1) as i64);
        let offset = self.b.ins().ishl_imm_u(index, JUMP_ENTRY_SHIFT);
        let offset = if t == ir::types::I64 { offset } else { self.b.ins().ireduce(t, offset) };
        let at = self.b.ins().iadd(table, offset);
        let tag = self.b.ins().load(ir::types::I64, MemFlagsData::trusted(), at, OFF_JUMP_PC);
        let hit = self.b.ins().icmp(CIntCC::Equal, tag, pc);
        let check_fuel = self.b.create_block();
        let check_entry = self.b.create_block();
        let normal = self.b.create_block();
        self.b.ins().brif(hit, check_fuel, &[], normal, &[]);
        self.b.switch_to_block(check_fuel);
        let f = self.b.use_var(self.fuel);
        let low = self.b.ins().band_imm_u(f, (crate::ir::FUEL_CHECK_INTERVAL - 1) as i64);
        self.b.ins().brif(low, check_entry, &[], normal, &[]);
        self.b.switch_to_block(check_entry);
        let entry = self.b.ins().load(t, MemFlagsData::trusted(), at, OFF_JUMP_ENTRY);
        self.enter_if_linked(entry, f, pc, normal);
    }

    /// The end of a chained or cached exit: if `entry` (a unit's entry point, 0 for none) is set,
    /// write the state back, pay one fuel of `fuel` and tail-call it; otherwise, and in `normal`
    /// (where the earlier checks of the caller branch to as well), exit to `pc`.
    fn enter_if_linked(&mut self, entry: CValue, fuel: CValue, pc: CValue, normal: ir::Block) {
        let jump = self.b.create_block();
        self.b.ins().brif(entry, jump, &[], normal, &[]);
        self.b.switch_to_block(jump);
        self.write_back_state();
        let f1 = self.b.ins().iadd_imm_s(fuel, -1);
        let sig = self.b.import_signature(super::block_signature(self.target));
        self.b.ins().return_call_indirect(sig, entry, &[self.ctx, f1]);
        self.b.switch_to_block(normal);
        let zero = self.b.ins().iconst(ir::types::I64, 0);
        self.leave_with_pc(ExitReason::Exit, pc, zero);
    }

    /// Stores promoted guest state back into the state buffer (before leaving the function).
    fn write_back_state(&mut self) {
        if let Some(state) = self.state {
            self.promoted.write_back(&mut self.b, state);
        }
    }

    /// Stores the fuel variable back into the context (before returning).
    pub fn store_fuel(&mut self) {
        if self.key != FuncKey::Main && !self.needs.fuel() {
            return;
        }
        let fuel = self.b.use_var(self.fuel);
        self.b.ins().store(MemFlagsData::trusted(), fuel, self.ctx, ctx::OFF_FUEL);
    }

    fn exit_block(&mut self) -> ir::Block {
        *self.exit_block.get_or_insert_with(|| {
            let blk = self.b.create_block();
            self.b.set_cold_block(blk);
            self.b.append_block_param(blk, ir::types::I32);
            self.b.append_block_param(blk, ir::types::I64);
            self.b.append_block_param(blk, ir::types::I64);
            blk
        })
    }

    fn pending_block(&mut self) -> ir::Block {
        *self.pending_block.get_or_insert_with(|| {
            let blk = self.b.create_block();
            self.b.set_cold_block(blk);
            self.b.append_block_param(blk, ir::types::I32);
            self.b.append_block_param(blk, ir::types::I64);
            blk
        })
    }

    fn finish_exit_blocks(&mut self) {
        let fl = MemFlagsData::trusted();
        if let Some(blk) = self.exit_block {
            self.b.switch_to_block(blk);
            let p = self.b.block_params(blk).to_vec();
            self.write_back_state();
            self.b.ins().store(fl, p[1], self.ctx, ctx::OFF_EXIT_PC);
            self.b.ins().store(fl, p[2], self.ctx, ctx::OFF_EXIT_AUX);
            self.store_fuel();
            self.b.ins().return_(&[p[0]]);
        }
        if let Some(blk) = self.pending_block {
            self.b.switch_to_block(blk);
            let p = self.b.block_params(blk).to_vec();
            self.b.ins().store(fl, p[0], self.ctx, ctx::OFF_PENDING);
            self.b.ins().store(fl, p[1], self.ctx, ctx::OFF_EXIT_AUX);
            self.store_fuel();
            self.return_zeros();
        }
    }
}
