//! What every pass shares: the `Rewriter` that builds a new body while renumbering values, the
//! bookkeeping that keeps guest pcs (`mark`s) exact, control-flow facts for forward walks, and
//! summaries of what helpers may do.
//!
//! **Values.** Value ids are implicit (each value-defining op defines the next id), so a pass
//! never edits a body in place: it walks the old body in op order and pushes ops into a
//! `Rewriter`, which maps every old value to a new one. A pass can map an old value to any new
//! value that is defined *earlier in op order* and *dominates* the old definition (`alias`) —
//! then every old use, which the old definition dominated and followed, is still valid.
//!
//! **Marks.** The current mark of an op is static: the nearest preceding `mark` in op order
//! (docs/IR.md). Only loads, stores, calls and back edges report it. The rewriter knows the
//! original mark of every op it is given and, in the main body, inserts a `mark` right before
//! any of those ops whose mark would otherwise differ, and drops a `mark` that repeats the
//! current pc. So passes may drop, move or synthesise ops and `mark`s freely: fault and fuel pcs
//! stay exactly what they were.
//!
//! **Analysis by construction.** `Rewriter::finish` returns the new body *and* its `BodyInfo`
//! (value types, op values, label positions, marks), and `assemble` builds the `VerifiedBlock`
//! the next pass reads, so release builds need not re-verify between passes. Debug builds
//! verify after every pass and check that the verifier computes the same facts (`mod.rs`).

use crate::ir::cfg::Cfg;
use crate::ir::*;

/// "No value yet" in value maps.
pub(crate) const NO_VALUE: Value = u32::MAX;

/// `op` with each operand value replaced by `f(value)`.
pub(crate) fn map_values(op: &Op, mut f: impl FnMut(Value) -> Value) -> Op {
    let mut op = op.clone();
    match &mut op {
        Op::Const { .. } | Op::GetState { .. } | Op::LocalGet { .. } | Op::Mark { .. } => {}
        Op::Label { .. } | Op::Jump { .. } => {}
        Op::SetState { value, .. } | Op::LocalSet { value, .. } => *value = f(*value),
        Op::Load { addr, .. } => *addr = f(*addr),
        Op::Store { addr, value, .. } => {
            *addr = f(*addr);
            *value = f(*value);
        }
        Op::IntBin { a, b, .. } | Op::Icmp { a, b, .. } | Op::FloatBin { a, b, .. } | Op::Fcmp { a, b, .. } => {
            *a = f(*a);
            *b = f(*b);
        }
        Op::IntUn { a, .. }
        | Op::Ext { a, .. }
        | Op::FloatUn { a, .. }
        | Op::FcvtToInt { a, .. }
        | Op::FcvtFromInt { a, .. }
        | Op::Fpromote { a }
        | Op::Fdemote { a }
        | Op::Bitcast { a, .. } => *a = f(*a),
        Op::Select { cond, a, b } => {
            *cond = f(*cond);
            *a = f(*a);
            *b = f(*b);
        }
        Op::Fma { a, b, c } => {
            *a = f(*a);
            *b = f(*b);
            *c = f(*c);
        }
        Op::Brif { cond, .. } => *cond = f(*cond),
        Op::Exit { pc } | Op::Halt { pc } | Op::Trap { pc, .. } => *pc = f(*pc),
        Op::Call { args, .. } => args.iter_mut().for_each(|a| *a = f(*a)),
        Op::Ret { value } => {
            if let Some(v) = value {
                *v = f(*v)
            }
        }
    }
    op
}

/// Does `op` (not a call) define a value?
#[inline]
pub(crate) fn defines(op: &Op) -> bool {
    !matches!(op, Op::Call { .. }) && crate::ir::verify::defines_value(op, &[])
}

/// Calls `f` on each operand value of `op`, in encoding order.
#[inline]
pub(crate) fn for_each_value(op: &Op, mut f: impl FnMut(Value)) {
    match op {
        Op::Const { .. } | Op::GetState { .. } | Op::LocalGet { .. } | Op::Mark { .. } => {}
        Op::Label { .. } | Op::Jump { .. } => {}
        Op::SetState { value, .. } | Op::LocalSet { value, .. } => f(*value),
        Op::Load { addr, .. } => f(*addr),
        Op::Store { addr, value, .. } => {
            f(*addr);
            f(*value);
        }
        Op::IntBin { a, b, .. } | Op::Icmp { a, b, .. } | Op::FloatBin { a, b, .. } | Op::Fcmp { a, b, .. } => {
            f(*a);
            f(*b);
        }
        Op::IntUn { a, .. }
        | Op::Ext { a, .. }
        | Op::FloatUn { a, .. }
        | Op::FcvtToInt { a, .. }
        | Op::FcvtFromInt { a, .. }
        | Op::Fpromote { a }
        | Op::Fdemote { a }
        | Op::Bitcast { a, .. } => f(*a),
        Op::Select { cond, a, b } => {
            f(*cond);
            f(*a);
            f(*b);
        }
        Op::Fma { a, b, c } => {
            f(*a);
            f(*b);
            f(*c);
        }
        Op::Brif { cond, .. } => f(*cond),
        Op::Exit { pc } | Op::Halt { pc } | Op::Trap { pc, .. } => f(*pc),
        Op::Call { args, .. } => args.iter().for_each(|a| f(*a)),
        Op::Ret { value } => value.iter().for_each(|v| f(*v)),
    }
}

/// `op` with each label it names (bound or branched to) replaced by `f(label)`.
pub(crate) fn map_labels(op: &mut Op, mut f: impl FnMut(Label) -> Label) {
    match op {
        Op::Label { label } | Op::Jump { label } => *label = f(*label),
        Op::Brif { then_label, else_label, .. } => {
            *then_label = f(*then_label);
            *else_label = f(*else_label);
        }
        _ => {}
    }
}

/// `op` with each local it names replaced by `f(local)`.
pub(crate) fn map_locals(op: &mut Op, mut f: impl FnMut(Local) -> Local) {
    if let Op::LocalGet { local } | Op::LocalSet { local, .. } = op {
        *local = f(*local);
    }
}

/// Is op `i` of a body with these facts a branch with a back edge (a fuel check)?
pub(crate) fn is_back_branch(op: &Op, i: usize, info: &BodyInfo) -> bool {
    match op {
        Op::Jump { label } => info.is_back_edge(i, *label),
        Op::Brif { then_label, else_label, .. } => {
            info.is_back_edge(i, *then_label) || info.is_back_edge(i, *else_label)
        }
        _ => false,
    }
}

/// Does block `b` start with exactly the facts block `b - 1` ends with? True when `b - 1` is its
/// only predecessor: then everything known at the end of `b - 1` holds at the start of `b`, and
/// values defined in `b - 1` dominate `b` and come earlier in op order.
pub(crate) fn inherits(cfg: &Cfg, b: u32) -> bool {
    b > 0 && cfg.preds[b as usize].len() == 1 && cfg.preds[b as usize][0] == b - 1
}

/// Block `b`'s only predecessor when that comes earlier in the layout (a forward edge): then
/// `b` starts with the facts that block ends with — it dominates `b` and its values come earlier
/// in op order. The usual case besides `b - 1` is the arm of a `brif` laid out after the other
/// arm (a guest branch whose taken side exits).
pub(crate) fn sole_earlier_pred(cfg: &Cfg, b: u32) -> Option<u32> {
    match cfg.preds[b as usize].as_slice() {
        [p] if *p < b => Some(*p),
        _ => None,
    }
}

/// Facts a forward walk over a body's blocks (in layout order) carries into a block from its
/// sole earlier predecessor when that is not simply the block before it (which the walk just
/// finished: everything it knows holds). `leave` keeps, at the end of a block such a successor
/// needs, the facts established in that block itself; `enter` puts them in place (or clears the
/// facts when the block has several predecessors, a later one, or none).
///
/// Only facts the predecessor itself recorded travel that way, so every value carried is defined
/// or used in the predecessor and its live range grows only across the edge. That answers the
/// usual case — the arm of a branch laid out after the other one — while facts from further up (a
/// loop the predecessor follows, say) would keep their values alive across all the code in
/// between and crowd its registers.
pub(crate) struct Inherited<K> {
    saved: Vec<Option<Vec<K>>>,
}

impl<K: Clone> Inherited<K> {
    pub(crate) fn new(cfg: &Cfg) -> Self {
        Inherited { saved: vec![None; cfg.num_blocks()] }
    }

    /// At the start of block `b`: `facts` (what the previous block ended with) becomes what `b`
    /// may assume.
    pub(crate) fn enter(&mut self, cfg: &Cfg, b: u32, facts: &mut Vec<K>) {
        match sole_earlier_pred(cfg, b) {
            Some(p) if p + 1 == b => {}
            Some(p) => *facts = self.saved[p as usize].clone().unwrap_or_default(),
            None => facts.clear(),
        }
    }

    /// At the end of block `b`, with the facts it ends with; `own` tells those established in
    /// `b` itself.
    pub(crate) fn leave(&mut self, cfg: &Cfg, b: u32, facts: &[K], own: impl Fn(&K) -> bool) {
        let needed = cfg.succs[b as usize].iter().any(|&s| s != b + 1 && sole_earlier_pred(cfg, s) == Some(b));
        if needed {
            self.saved[b as usize] = Some(facts.iter().filter(|k| own(k)).cloned().collect());
        }
    }
}

/// Does block `b` continue block `b - 1` as one straight line: `b - 1`'s only successor is `b` and
/// `b`'s only predecessor is `b - 1` (a fallthrough or a forward `jump` into the next label)?
/// Nothing can observe anything between the end of `b - 1` and the start of `b`.
pub(crate) fn continues(cfg: &Cfg, b: u32) -> bool {
    inherits(cfg, b) && cfg.succs[b as usize - 1].len() == 1
}

/// The type of an integer of `bytes` bytes.
pub(crate) fn int_type(bytes: u32) -> Type {
    match bytes {
        1 => Type::I8,
        2 => Type::I16,
        4 => Type::I32,
        _ => Type::I64,
    }
}

/// Builds a new body from an old one. See the module documentation.
pub(crate) struct Rewriter {
    ops: Vec<Op>,
    locals: Vec<Type>,
    num_labels: u32,
    /// Old value → new value.
    map: Vec<Value>,
    /// Type of each new value.
    types: Vec<Type>,
    /// Op index in `ops` defining each new value (`usize::MAX` for parameters).
    def_at: Vec<usize>,
    op_value: Vec<Option<Value>>,
    marks: Vec<u64>,
    bound: Vec<bool>,
    main: bool,
    cur_mark: u64,
}

impl Rewriter {
    /// A rewriter for `body` (main when `main`, else a helper with `nparams` parameters) of the
    /// block at `pc`. Locals and labels start as the old body's; parameters map to themselves.
    pub fn new(body: &Body, info: &BodyInfo, nparams: usize, main: bool, pc: u64) -> Rewriter {
        let mut map = vec![NO_VALUE; info.value_types.len()];
        for (v, m) in map.iter_mut().enumerate().take(nparams) {
            *m = v as Value;
        }
        Rewriter {
            ops: Vec::with_capacity(body.ops.len() + 8),
            locals: body.locals.clone(),
            num_labels: body.num_labels,
            map,
            types: info.value_types[..nparams].to_vec(),
            def_at: vec![usize::MAX; nparams],
            op_value: Vec::with_capacity(body.ops.len() + 8),
            marks: Vec::with_capacity(body.ops.len() + 8),
            bound: vec![false; body.num_labels as usize],
            main,
            cur_mark: pc,
        }
    }

    /// The new value an old value maps to.
    #[inline]
    pub fn value(&self, old: Value) -> Value {
        let v = self.map[old as usize];
        debug_assert!(v != NO_VALUE, "v{old} used before it was mapped");
        v
    }

    /// Map old value `old` to new value `new` (which must dominate and precede `old`'s uses).
    #[inline]
    pub fn alias(&mut self, old: Value, new: Value) {
        self.map[old as usize] = new;
    }

    /// Type of a new value.
    #[inline]
    pub fn ty(&self, v: Value) -> Type {
        self.types[v as usize]
    }

    /// The op defining new value `v` (`None` for a parameter).
    pub fn def(&self, v: Value) -> Option<&Op> {
        self.ops.get(self.def_at[v as usize])
    }

    /// Ops pushed so far.
    pub fn num_ops(&self) -> usize {
        self.ops.len()
    }

    pub fn num_locals(&self) -> usize {
        self.locals.len()
    }

    pub fn num_labels(&self) -> usize {
        self.num_labels as usize
    }

    pub fn new_local(&mut self, ty: Type) -> Local {
        self.locals.push(ty);
        (self.locals.len() - 1) as Local
    }

    pub fn new_label(&mut self) -> Label {
        self.num_labels += 1;
        self.bound.push(false);
        self.num_labels - 1
    }

    /// The last op pushed, if any.
    pub fn last(&self) -> Option<&Op> {
        self.ops.last()
    }

    /// Does the op reveal its current mark (fault, fuel exit, or a helper call)? A branch is a
    /// back edge exactly when its target is already bound (labels bound later come after it).
    fn observes_mark(&self, op: &Op) -> bool {
        match op {
            Op::Load { .. } | Op::Store { .. } | Op::Call { .. } => true,
            Op::Jump { label } => self.bound[*label as usize],
            Op::Brif { then_label, else_label, .. } => {
                self.bound[*then_label as usize] || self.bound[*else_label as usize]
            }
            _ => false,
        }
    }

    /// Append `op` (operands already new values) whose original current mark is `mark`; `ty` is
    /// its result type if it defines a value. Returns the new value.
    pub fn push(&mut self, op: Op, ty: Option<Type>, mark: u64) -> Option<Value> {
        if self.main {
            if let Op::Mark { pc } = op {
                if pc == self.cur_mark {
                    return None; // changes nothing
                }
                self.op_value.push(None);
                self.marks.push(self.cur_mark);
                self.ops.push(op);
                self.cur_mark = pc;
                return None;
            }
            if mark != self.cur_mark && self.observes_mark(&op) {
                self.op_value.push(None);
                self.marks.push(self.cur_mark);
                self.ops.push(Op::Mark { pc: mark });
                self.cur_mark = mark;
            }
        }
        if let Op::Label { label } = op {
            self.bound[label as usize] = true;
        }
        let v = ty.map(|t| {
            self.types.push(t);
            self.def_at.push(self.ops.len());
            (self.types.len() - 1) as Value
        });
        self.op_value.push(v);
        self.marks.push(self.cur_mark);
        self.ops.push(op);
        v
    }

    /// Copy old op `i` (`op`) with its operands mapped; its value (if any) maps to the copy's.
    pub fn copy(&mut self, info: &BodyInfo, i: usize, op: &Op) -> Option<Value> {
        let new = map_values(op, |v| self.value(v));
        self.push_for(info, i, new)
    }

    /// Push `new` in place of old op `i`: same result type and mark; old op `i`'s value maps to
    /// the new op's.
    pub fn push_for(&mut self, info: &BodyInfo, i: usize, new: Op) -> Option<Value> {
        let old = info.op_value[i];
        let ty = old.map(|v| info.value_types[v as usize]);
        let v = self.push(new, ty, info.marks[i]);
        if let (Some(o), Some(n)) = (old, v) {
            self.alias(o, n);
        }
        v
    }

    /// The new body and its facts. Labels that were never bound (they belonged to dropped code,
    /// and nothing left branches to them) and locals nothing uses any more are dropped and the
    /// rest renumbered in order.
    pub fn finish(mut self) -> (Body, BodyInfo) {
        // Labels.
        let mut label_new = vec![u32::MAX; self.num_labels as usize];
        let mut label_pos = Vec::new();
        for (i, op) in self.ops.iter().enumerate() {
            if let Op::Label { label } = op {
                label_new[*label as usize] = label_pos.len() as u32;
                label_pos.push(i);
            }
        }
        // Locals.
        let mut local_used = vec![false; self.locals.len()];
        for op in &self.ops {
            if let Op::LocalGet { local } | Op::LocalSet { local, .. } = op {
                local_used[*local as usize] = true;
            }
        }
        let mut local_new = vec![u32::MAX; self.locals.len()];
        let mut locals = Vec::new();
        for (l, used) in local_used.iter().enumerate() {
            if *used {
                local_new[l] = locals.len() as u32;
                locals.push(self.locals[l]);
            }
        }
        let renumber_locals = locals.len() != self.locals.len();
        let renumber_labels =
            label_pos.len() != self.num_labels as usize || label_new.iter().enumerate().any(|(a, b)| *b != a as u32);
        if renumber_labels || renumber_locals {
            for op in &mut self.ops {
                map_labels(op, |l| {
                    let n = label_new[l as usize];
                    debug_assert!(n != u32::MAX, "a branch to L{l}, which was dropped");
                    n
                });
                map_locals(op, |l| local_new[l as usize]);
            }
        }
        let body = Body { locals, num_labels: label_pos.len() as u32, ops: self.ops };
        let info = BodyInfo { value_types: self.types, op_value: self.op_value, label_pos, marks: self.marks };
        (body, info)
    }
}

/// One rewritten helper: signature, body and facts.
pub(crate) struct NewFunc {
    pub params: Vec<Type>,
    pub result: Option<Type>,
    pub body: Body,
    pub info: BodyInfo,
}

/// Builds the `VerifiedBlock` of rewritten bodies (facts by construction; see the module doc).
pub(crate) fn assemble(pc: u64, funcs: Vec<NewFunc>, main: (Body, BodyInfo)) -> VerifiedBlock {
    let mut state_size = 0u32;
    let mut op_count = main.0.ops.len();
    let mut extent = |body: &Body, info: &BodyInfo| {
        for op in &body.ops {
            match op {
                Op::GetState { ty, offset } => state_size = state_size.max(offset + ty.bytes()),
                Op::SetState { offset, value } => {
                    state_size = state_size.max(offset + info.value_types[*value as usize].bytes())
                }
                _ => {}
            }
        }
    };
    let mut block_funcs = Vec::with_capacity(funcs.len());
    let mut infos = Vec::with_capacity(funcs.len());
    for f in funcs {
        extent(&f.body, &f.info);
        op_count += f.body.ops.len();
        block_funcs.push(Function { params: f.params, result: f.result, body: f.body });
        infos.push(f.info);
    }
    extent(&main.0, &main.1);
    VerifiedBlock {
        block: Block { pc, funcs: block_funcs, main: main.0 },
        main: main.1,
        funcs: infos,
        state_size,
        op_count,
    }
}

/// Runs `f` on every body of `vb` (helpers, then main) and assembles the result. `f` gets the
/// block, the body, its facts, its parameter types and whether it is the main body.
pub(crate) fn per_body(
    vb: &VerifiedBlock,
    mut f: impl FnMut(&VerifiedBlock, &Body, &BodyInfo, &[Type], bool) -> (Body, BodyInfo),
) -> VerifiedBlock {
    let funcs = vb
        .block
        .funcs
        .iter()
        .zip(&vb.funcs)
        .map(|(func, info)| {
            let (body, info) = f(vb, &func.body, info, &func.params, false);
            NewFunc { params: func.params.clone(), result: func.result, body, info }
        })
        .collect();
    let main = f(vb, &vb.block.main, &vb.main, &[], true);
    assemble(vb.block.pc, funcs, main)
}

/// Byte ranges of guest state `[offset, offset + width)`; `all` when there were too many to list.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ranges {
    pub all: bool,
    pub list: Vec<(u32, u32)>,
}

impl Ranges {
    const MAX: usize = 64;

    pub fn add(&mut self, off: u32, width: u32) {
        if self.all || self.list.contains(&(off, width)) {
            return;
        }
        if self.list.len() >= Self::MAX {
            self.all = true;
            self.list.clear();
        } else {
            self.list.push((off, width));
        }
    }

    pub fn merge(&mut self, other: &Ranges) {
        if other.all {
            self.all = true;
            self.list.clear();
        } else {
            for &(o, w) in &other.list {
                self.add(o, w);
            }
        }
    }

    pub fn overlaps(&self, off: u32, width: u32) -> bool {
        self.all || self.list.iter().any(|&(o, w)| overlap(o, w, off, width))
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.list.is_empty()
    }
}

/// Do `[a, a + aw)` and `[b, b + bw)` overlap?
#[inline]
pub(crate) fn overlap(a: u32, aw: u32, b: u32, bw: u32) -> bool {
    a < b + bw && b < a + aw
}

/// What a call to a helper may do, including through the helpers it calls.
#[derive(Clone, Debug, Default)]
pub(crate) struct Effects {
    pub reads_state: Ranges,
    pub writes_state: Ranges,
    pub writes_memory: bool,
    /// May end the block: a memory fault (any load or store) or fuel/interrupt (a back edge).
    pub can_exit: bool,
}

impl Effects {
    /// A call that may be removed when its result is unused: it writes nothing and cannot exit.
    pub fn is_pure(&self) -> bool {
        self.writes_state.is_empty() && !self.writes_memory && !self.can_exit
    }
}

/// The effects of every helper of `vb` (helpers only call lower indices: one pass upwards).
pub(crate) fn helper_effects(vb: &VerifiedBlock) -> Vec<Effects> {
    let mut out: Vec<Effects> = Vec::with_capacity(vb.funcs.len());
    for (f, info) in vb.block.funcs.iter().zip(&vb.funcs) {
        let mut e = Effects::default();
        for (i, op) in f.body.ops.iter().enumerate() {
            match op {
                Op::GetState { ty, offset } => e.reads_state.add(*offset, ty.bytes()),
                Op::SetState { offset, value } => {
                    e.writes_state.add(*offset, info.value_types[*value as usize].bytes())
                }
                Op::Load { .. } => e.can_exit = true,
                Op::Store { .. } => {
                    e.can_exit = true;
                    e.writes_memory = true;
                }
                Op::Jump { .. } | Op::Brif { .. } if is_back_branch(op, i, info) => e.can_exit = true,
                Op::Call { func, .. } => {
                    let c = &out[*func as usize];
                    e.reads_state.merge(&c.reads_state);
                    e.writes_state.merge(&c.writes_state);
                    e.writes_memory |= c.writes_memory;
                    e.can_exit |= c.can_exit;
                }
                _ => {}
            }
        }
        out.push(e);
    }
    out
}

/// Drops helpers that nothing reachable from the main body calls and renumbers the rest (their
/// order is kept, so "helper `k` only calls helpers below `k`" still holds).
pub(crate) fn drop_unused_helpers(vb: VerifiedBlock) -> VerifiedBlock {
    let n = vb.block.funcs.len();
    if n == 0 {
        return vb;
    }
    let mut used = vec![false; n];
    let calls = |ops: &[Op], used: &mut Vec<bool>| {
        for op in ops {
            if let Op::Call { func, .. } = op {
                used[*func as usize] = true;
            }
        }
    };
    calls(&vb.block.main.ops, &mut used);
    for k in (0..n).rev() {
        if used[k] {
            calls(&vb.block.funcs[k].body.ops, &mut used);
        }
    }
    if used.iter().all(|u| *u) {
        return vb;
    }
    let mut new_id = vec![u32::MAX; n];
    let mut next = 0;
    for k in 0..n {
        if used[k] {
            new_id[k] = next;
            next += 1;
        }
    }
    let VerifiedBlock { block, main, funcs: infos, op_count, .. } = vb;
    let renumber = |body: &mut Body| {
        for op in &mut body.ops {
            if let Op::Call { func, .. } = op {
                *func = new_id[*func as usize];
            }
        }
    };
    let mut main_body = block.main;
    renumber(&mut main_body);
    let mut funcs = Vec::new();
    for ((mut f, info), u) in block.funcs.into_iter().zip(infos).zip(&used) {
        if *u {
            renumber(&mut f.body);
            funcs.push(NewFunc { params: f.params, result: f.result, body: f.body, info });
        }
    }
    let _ = op_count;
    assemble(block.pc, funcs, (main_body, main))
}
