//! The control-flow graph of one body (main or helper): basic blocks, reachability, dominators.
//!
//! A basic block starts at op 0, at every `label` op and after every terminator; it ends before
//! the next start. Its successors come from its last op: a `jump`'s or `brif`'s target labels,
//! none for `exit halt trap ret`, and the next basic block for any other op (falling into a
//! label is an implicit jump). Block 0 is the entry.
//!
//! Dominators use Lengauer–Tarjan with path compression (O(E log V)): near-linear for bodies of
//! a million ops, and no quadratic corner for bodies with tens of thousands of labels.
//! `Cfg::build` never panics, even on a body that breaks the structural rules (bad label
//! indices are ignored); the verifier only relies on it for structurally valid bodies.

use super::op::{Body, Label, Op};

/// "No block": the idom of an unreachable block, the parent of the root.
pub const NO_BLOCK: u32 = u32::MAX;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cfg {
    /// First op index of each basic block, ascending. Empty for an empty body.
    pub block_start: Vec<usize>,
    /// The basic block of each op.
    pub block_of_op: Vec<u32>,
    /// Successor blocks of each block (deduplicated; a `brif` lists then before else).
    pub succs: Vec<Vec<u32>>,
    /// Predecessor blocks of each block (reachable or not).
    pub preds: Vec<Vec<u32>>,
    /// Reachable blocks in depth-first preorder from the entry. Every block's dominators come
    /// before it, so walking this order sees each definition before its dominated uses.
    pub preorder: Vec<u32>,
    /// Reachable blocks in reverse postorder (also dominators-first).
    pub rpo: Vec<u32>,
    /// Immediate dominator of each block: the entry's is itself, an unreachable block's is
    /// `NO_BLOCK`.
    pub idom: Vec<u32>,
    /// Dominator-tree DFS entry/exit numbers (for O(1) `dominates`); `NO_BLOCK` if unreachable.
    dom_pre: Vec<u32>,
    dom_post: Vec<u32>,
}

impl Cfg {
    /// Build the CFG of `body`. `label_pos[l]` is the op index binding label `l`.
    pub fn build(body: &Body, label_pos: &[usize]) -> Cfg {
        let ops = &body.ops;
        let n_ops = ops.len();
        let mut block_start = Vec::new();
        let mut block_of_op = Vec::with_capacity(n_ops);
        for (i, op) in ops.iter().enumerate() {
            let starts = i == 0 || matches!(op, Op::Label { .. }) || ops[i - 1].is_terminator();
            if starts {
                block_start.push(i);
            }
            block_of_op.push((block_start.len() - 1) as u32);
        }
        let n = block_start.len();
        let target = |l: Label| -> Option<u32> {
            let pos = *label_pos.get(l as usize)?;
            block_of_op.get(pos).copied()
        };
        let mut succs: Vec<Vec<u32>> = Vec::with_capacity(n);
        for b in 0..n {
            let end = if b + 1 < n { block_start[b + 1] } else { n_ops };
            let mut s = Vec::new();
            match &ops[end - 1] {
                Op::Jump { label } => s.extend(target(*label)),
                Op::Brif { then_label, else_label, .. } => {
                    s.extend(target(*then_label));
                    if let Some(e) = target(*else_label) {
                        if !s.contains(&e) {
                            s.push(e);
                        }
                    }
                }
                Op::Exit { .. } | Op::Halt { .. } | Op::Trap { .. } | Op::Ret { .. } => {}
                _ => {
                    if b + 1 < n {
                        s.push(b as u32 + 1);
                    }
                }
            }
            succs.push(s);
        }
        let mut preds: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (b, ss) in succs.iter().enumerate() {
            for &s in ss {
                preds[s as usize].push(b as u32);
            }
        }

        let mut cfg = Cfg {
            block_start,
            block_of_op,
            succs,
            preds,
            preorder: Vec::new(),
            rpo: Vec::new(),
            idom: vec![NO_BLOCK; n],
            dom_pre: vec![NO_BLOCK; n],
            dom_post: vec![NO_BLOCK; n],
        };
        if n > 0 {
            cfg.compute_dominators();
        }
        cfg
    }

    pub fn num_blocks(&self) -> usize {
        self.block_start.len()
    }

    /// Op index range of basic block `b`.
    pub fn block_ops(&self, b: u32) -> std::ops::Range<usize> {
        let b = b as usize;
        let end = self.block_start.get(b + 1).copied().unwrap_or(self.block_of_op.len());
        self.block_start[b]..end
    }

    pub fn is_reachable(&self, b: u32) -> bool {
        self.idom.get(b as usize).is_some_and(|&d| d != NO_BLOCK)
    }

    /// Does block `a` dominate block `b` (reflexive)? False if either is unreachable.
    pub fn dominates(&self, a: u32, b: u32) -> bool {
        let (a, b) = (a as usize, b as usize);
        match (self.dom_pre.get(a), self.dom_pre.get(b)) {
            (Some(&pa), Some(&pb)) if pa != NO_BLOCK && pb != NO_BLOCK => {
                pa <= pb && self.dom_post[b] <= self.dom_post[a]
            }
            _ => false,
        }
    }

    /// Does the op at index `def` dominate the op at index `use_` (strictly: `def` runs first)?
    pub fn op_dominates(&self, def: usize, use_: usize) -> bool {
        let (bd, bu) = (self.block_of_op[def], self.block_of_op[use_]);
        if bd == bu {
            def < use_ && self.is_reachable(bd)
        } else {
            self.dominates(bd, bu)
        }
    }

    fn compute_dominators(&mut self) {
        let n = self.num_blocks();
        // Depth-first numbering from the entry (iterative: bodies can have 65,536 labels).
        let mut dfnum = vec![NO_BLOCK; n];
        let mut vertex: Vec<u32> = Vec::new(); // dfnum -> block
        let mut parent: Vec<u32> = Vec::new(); // dfnum -> parent's dfnum
        let mut postorder: Vec<u32> = Vec::new();
        let mut stack: Vec<(u32, usize)> = vec![(0, 0)];
        dfnum[0] = 0;
        vertex.push(0);
        parent.push(NO_BLOCK);
        while let Some(top) = stack.last_mut() {
            let (b, next) = *top;
            if let Some(&s) = self.succs[b as usize].get(next) {
                top.1 += 1;
                if dfnum[s as usize] == NO_BLOCK {
                    dfnum[s as usize] = vertex.len() as u32;
                    parent.push(dfnum[b as usize]);
                    vertex.push(s);
                    stack.push((s, 0));
                }
            } else {
                postorder.push(b);
                stack.pop();
            }
        }
        let m = vertex.len();

        // Lengauer–Tarjan in dfnum space, with iterative path compression.
        let mut semi: Vec<u32> = (0..m as u32).collect();
        let mut label: Vec<u32> = (0..m as u32).collect();
        let mut ancestor: Vec<u32> = vec![NO_BLOCK; m];
        let mut dom: Vec<u32> = vec![NO_BLOCK; m];
        let mut bucket: Vec<Vec<u32>> = vec![Vec::new(); m];
        let mut path: Vec<u32> = Vec::new();
        let mut eval = |v: u32, ancestor: &mut Vec<u32>, label: &mut Vec<u32>, semi: &Vec<u32>| {
            let v = v as usize;
            if ancestor[v] == NO_BLOCK {
                return v as u32;
            }
            // compress: walk up while the ancestor has an ancestor, then fix top-down.
            path.clear();
            let mut x = v as u32;
            while ancestor[ancestor[x as usize] as usize] != NO_BLOCK {
                path.push(x);
                x = ancestor[x as usize];
            }
            while let Some(y) = path.pop() {
                let a = ancestor[y as usize] as usize;
                if semi[label[a] as usize] < semi[label[y as usize] as usize] {
                    label[y as usize] = label[a];
                }
                ancestor[y as usize] = ancestor[a];
            }
            label[v]
        };
        for w in (1..m).rev() {
            let wb = vertex[w] as usize;
            for &p in &self.preds[wb] {
                let v = dfnum[p as usize];
                if v == NO_BLOCK {
                    continue; // unreachable predecessor
                }
                let u = eval(v, &mut ancestor, &mut label, &semi);
                if semi[u as usize] < semi[w] {
                    semi[w] = semi[u as usize];
                }
            }
            bucket[semi[w] as usize].push(w as u32);
            let p = parent[w];
            ancestor[w] = p;
            let pending = std::mem::take(&mut bucket[p as usize]);
            for v in pending {
                let u = eval(v, &mut ancestor, &mut label, &semi);
                dom[v as usize] = if semi[u as usize] < semi[v as usize] { u } else { p };
            }
        }
        for w in 1..m {
            if dom[w] != semi[w] {
                dom[w] = dom[dom[w] as usize];
            }
        }
        dom[0] = 0;
        for w in 0..m {
            self.idom[vertex[w] as usize] = vertex[dom[w] as usize];
        }

        // Dominator-tree entry/exit numbering.
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
        for &b in vertex.iter().skip(1) {
            children[self.idom[b as usize] as usize].push(b);
        }
        let mut clock = 0u32;
        let mut stack: Vec<(u32, usize)> = vec![(0, 0)];
        self.dom_pre[0] = 0;
        clock += 1;
        while let Some(top) = stack.last_mut() {
            let (b, next) = *top;
            if let Some(&c) = children[b as usize].get(next) {
                top.1 += 1;
                self.dom_pre[c as usize] = clock;
                clock += 1;
                stack.push((c, 0));
            } else {
                self.dom_post[b as usize] = clock;
                clock += 1;
                stack.pop();
            }
        }

        self.preorder = vertex;
        postorder.reverse();
        self.rpo = postorder;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(bits: u64) -> Op {
        Op::Const { ty: crate::ir::Type::I64, bits }
    }

    fn build(ops: Vec<Op>, nlabels: u32) -> Cfg {
        let mut label_pos = vec![usize::MAX; nlabels as usize];
        for (i, op) in ops.iter().enumerate() {
            if let Op::Label { label } = op {
                label_pos[*label as usize] = i;
            }
        }
        let body = Body { locals: vec![], num_labels: nlabels, ops };
        Cfg::build(&body, &label_pos)
    }

    #[test]
    fn straight_line_is_one_block() {
        let cfg = build(vec![c(1), c(2), Op::Exit { pc: 0 }], 0);
        assert_eq!(cfg.block_start, vec![0]);
        assert_eq!(cfg.block_of_op, vec![0, 0, 0]);
        assert!(cfg.succs[0].is_empty());
        assert_eq!(cfg.idom, vec![0]);
        assert!(cfg.op_dominates(0, 1));
        assert!(!cfg.op_dominates(1, 0));
        assert!(!cfg.op_dominates(1, 1));
    }

    #[test]
    fn diamond_and_loop() {
        // b0: v0; brif v0, L0, L1   b1 (L0): jump L2   b2 (L1): fall   b3 (L2): brif L0/L3  b4 (L3): exit
        let ops = vec![
            c(1),
            Op::Brif { cond: 0, then_label: 0, else_label: 1 },
            Op::Label { label: 0 },
            Op::Jump { label: 2 },
            Op::Label { label: 1 },
            c(2),
            Op::Label { label: 2 },
            Op::Brif { cond: 0, then_label: 0, else_label: 3 },
            Op::Label { label: 3 },
            Op::Exit { pc: 0 },
        ];
        let cfg = build(ops, 4);
        assert_eq!(cfg.block_start, vec![0, 2, 4, 6, 8]);
        assert_eq!(cfg.succs, vec![vec![1, 2], vec![3], vec![3], vec![1, 4], vec![]]);
        assert_eq!(cfg.idom, vec![0, 0, 0, 0, 3]);
        assert!(cfg.dominates(0, 4));
        assert!(cfg.dominates(3, 4));
        assert!(!cfg.dominates(1, 3));
        assert!(!cfg.dominates(2, 3));
        assert_eq!(cfg.preorder[0], 0);
        assert_eq!(cfg.rpo[0], 0);
        assert_eq!(cfg.rpo.len(), 5);
    }

    #[test]
    fn unreachable_blocks() {
        // b0: jump L1   b1 (L0): exit (unreachable)   b2 (L1): exit
        let ops = vec![
            Op::Jump { label: 1 },
            Op::Label { label: 0 },
            c(0),
            Op::Exit { pc: 0 },
            Op::Label { label: 1 },
            Op::Exit { pc: 0 },
        ];
        let cfg = build(ops, 2);
        assert_eq!(cfg.num_blocks(), 3);
        assert!(cfg.is_reachable(0));
        assert!(!cfg.is_reachable(1));
        assert!(cfg.is_reachable(2));
        assert_eq!(cfg.idom[1], NO_BLOCK);
        assert!(!cfg.dominates(1, 1));
        assert!(!cfg.dominates(1, 2));
        assert!(!cfg.op_dominates(2, 3));
        assert_eq!(cfg.preorder, vec![0, 2]);
    }

    #[test]
    fn later_block_can_dominate_earlier_one() {
        // b0: jump L1   b1 (L0): exit   b2 (L1): jump L0   — b2 dominates b1.
        let ops = vec![
            Op::Jump { label: 1 },
            Op::Label { label: 0 },
            Op::Exit { pc: 0 },
            Op::Label { label: 1 },
            c(0),
            Op::Jump { label: 0 },
        ];
        let cfg = build(ops, 2);
        assert!(cfg.dominates(2, 1));
        assert!(cfg.op_dominates(4, 2));
        let pos = |b| cfg.preorder.iter().position(|&x| x == b).unwrap();
        assert!(pos(2) < pos(1));
    }

    #[test]
    fn bad_labels_do_not_panic() {
        let ops = vec![Op::Jump { label: 7 }, Op::Label { label: 0 }, c(1)];
        let cfg = build(ops, 1);
        assert_eq!(cfg.num_blocks(), 2);
        assert!(cfg.succs[0].is_empty());
        let empty = build(vec![], 0);
        assert_eq!(empty.num_blocks(), 0);
        assert!(!empty.dominates(0, 0));
    }

    /// Compare with a naive dominator computation on pseudo-random CFGs.
    #[test]
    fn matches_naive_dominators() {
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..200 {
            let nl = 1 + rnd(12) as u32;
            let mut ops = vec![c(0)];
            for l in 0..nl {
                match rnd(4) {
                    0 => ops.push(Op::Jump { label: rnd(nl as u64) as u32 }),
                    1 => ops.push(Op::Brif {
                        cond: 0,
                        then_label: rnd(nl as u64) as u32,
                        else_label: rnd(nl as u64) as u32,
                    }),
                    2 => ops.push(Op::Exit { pc: 0 }),
                    _ => ops.push(c(1)),
                }
                ops.push(Op::Label { label: l });
            }
            ops.push(Op::Exit { pc: 0 });
            let cfg = build(ops, nl);
            let n = cfg.num_blocks();
            // naive: dom(b) = {b} ∪ ⋂ dom(preds), iterate to fixpoint over reachable blocks.
            let reach: Vec<bool> = (0..n as u32).map(|b| cfg.preorder.contains(&b)).collect();
            let mut dom = vec![vec![true; n]; n];
            dom[0] = vec![false; n];
            dom[0][0] = true;
            let mut changed = true;
            while changed {
                changed = false;
                for b in 1..n {
                    if !reach[b] {
                        continue;
                    }
                    let mut d = vec![true; n];
                    for &p in &cfg.preds[b] {
                        if reach[p as usize] {
                            for k in 0..n {
                                d[k] &= dom[p as usize][k];
                            }
                        }
                    }
                    d[b] = true;
                    if d != dom[b] {
                        dom[b] = d;
                        changed = true;
                    }
                }
            }
            for a in 0..n {
                for b in 0..n {
                    let expect = reach[a] && reach[b] && dom[b][a];
                    assert_eq!(cfg.dominates(a as u32, b as u32), expect, "{a} dom {b}");
                }
            }
        }
    }
}
