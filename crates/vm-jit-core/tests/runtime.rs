//! The tiered runtime's native half: dispatch, chaining, misses, decision points, retirement,
//! interrupts and background compilation.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use vm_jit_core::backend::{BackendConfig, OptLevel};
use vm_jit_core::ir::{verify, Block, ExitReason, IntCC, Label, Type::I64, Value, VerifiedBlock};
use vm_jit_core::runtime::{self, CompileJob, CompilePool, Runtime, StopReason, Unit, UnitOptions, MAX_UNITS};
use vm_jit_core::testing::{state_with, word, BlockBuilder, BodyBuilder};

/// x1 -= 1; x2 += `delta(x1)`; then to the `again` label while x1 != 0, else to `done` (both
/// returned unbound): the loop step the blocks below share.
fn count_down(m: &mut BodyBuilder, delta: impl FnOnce(&mut BodyBuilder, Value) -> Value) -> (Label, Label) {
    let x1 = m.get_state(I64, 8);
    let one = m.iconst(I64, 1);
    let x1 = m.sub(x1, one);
    m.set_state(8, x1);
    let x2 = m.get_state(I64, 16);
    let d = delta(m, x1);
    let x2 = m.add(x2, d);
    m.set_state(16, x2);
    let zero = m.iconst(I64, 0);
    let more = m.icmp(IntCC::Ne, x1, zero);
    let (again, done) = (m.new_label(), m.new_label());
    m.brif(more, again, done);
    (again, done)
}

/// 0x100: x1 -= 1; x2 += x1; if x1 != 0 goto 0x100 else goto 0x200 (two chainable exits).
fn countdown() -> VerifiedBlock {
    verify(BlockBuilder::new(0x100).main(|m| {
        let (again, done) = count_down(m, |_, x1| x1);
        m.bind(again);
        m.exit_const(0x100);
        m.bind(done);
        m.exit_const(0x200);
    }))
    .unwrap()
}

/// 0x200: halt at 0x200.
fn halt_block() -> VerifiedBlock {
    verify(BlockBuilder::new(0x200).main(|m| {
        let pc = m.iconst(I64, 0x200);
        m.halt(pc);
    }))
    .unwrap()
}

fn compiled(vb: &VerifiedBlock, level: OptLevel) -> Arc<Unit> {
    runtime::build_unit(vb, &BackendConfig::with_opt_level(level)).unwrap()
}

fn counters() -> Vec<u32> {
    vec![0; MAX_UNITS as usize]
}

fn domain() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn chained_loop_runs_to_halt_and_counts() {
    for level in [OptLevel::None, OptLevel::Speed] {
        let mut rt = Runtime::new(domain(), 64);
        let a = compiled(&countdown(), level);
        let b = compiled(&halt_block(), level);
        rt.install(a.clone()).unwrap();
        rt.install(b.clone()).unwrap();
        let mut state = state_with(64, &[(8, 100_000)]);
        let mut c = counters();
        let no = AtomicU32::new(0);
        let stop = rt.run(0x100, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
        assert_eq!(stop.reason, StopReason::Exit(ExitReason::Halt));
        assert_eq!(stop.pc, 0x200);
        assert_eq!(word(&state, 16), (0..100_000u64).sum::<u64>());
        // Every entry is counted, chained or not; the dispatcher saw only a few of them.
        assert_eq!(c[a.id as usize], 100_000);
        assert_eq!(c[b.id as usize], 1);
        assert!(stop.dispatched < 1000, "{level:?}: {} dispatched of 100001", stop.dispatched);
        // Fuel: one per block entry.
        assert_eq!(u64::MAX - stop.fuel_left, 100_001);
        runtime::retire(&a);
        runtime::retire(&b);
    }
}

#[test]
fn an_uncounted_unit_runs_the_same_and_leaves_its_counter_alone() {
    let options = UnitOptions { chainable: true, counted: false };
    for level in [OptLevel::None, OptLevel::Speed] {
        let mut rt = Runtime::new(domain(), 64);
        let config = BackendConfig::with_opt_level(level);
        let a = runtime::build_unit_with(&countdown(), &config, options).unwrap();
        let b = compiled(&halt_block(), level);
        rt.install(a.clone()).unwrap();
        rt.install(b.clone()).unwrap();
        let mut state = state_with(64, &[(8, 10_000)]);
        let (mut c, no) = (counters(), AtomicU32::new(0));
        let stop = rt.run(0x100, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
        assert_eq!((stop.reason, stop.pc), (StopReason::Exit(ExitReason::Halt), 0x200));
        assert_eq!(word(&state, 16), (0..10_000u64).sum::<u64>());
        // Chained and fuelled as before; only the count is gone (the counted unit next to it still counts).
        assert_eq!(u64::MAX - stop.fuel_left, 10_001);
        assert_eq!((c[a.id as usize], c[b.id as usize]), (0, 1), "{level:?}");
        runtime::retire(&a);
        runtime::retire(&b);
    }
}

#[test]
fn a_pc_without_code_is_a_miss_then_resumes() {
    let mut rt = Runtime::new(domain(), 64);
    rt.install(compiled(&countdown(), OptLevel::None)).unwrap();
    let mut state = state_with(64, &[(8, 10)]);
    let (mut c, no) = (counters(), AtomicU32::new(0));
    let stop = rt.run(0x100, &mut state, &mut [], 1000, u64::MAX, &mut c, &no).unwrap();
    assert_eq!((stop.reason, stop.pc), (StopReason::Miss, 0x200));
    assert_eq!(word(&state, 8), 0);
    // Installing the missing block links the waiting exit too.
    let b = compiled(&halt_block(), OptLevel::None);
    rt.install(b).unwrap();
    let stop = rt.run(stop.pc, &mut state, &mut [], stop.fuel_left, u64::MAX, &mut c, &no).unwrap();
    assert_eq!(stop.reason, StopReason::Exit(ExitReason::Halt));
}

#[test]
fn fuel_runs_out_at_a_resumable_block_boundary() {
    let mut rt = Runtime::new(domain(), 64);
    rt.install(compiled(&countdown(), OptLevel::Speed)).unwrap();
    rt.install(compiled(&halt_block(), OptLevel::Speed)).unwrap();
    let mut state = state_with(64, &[(8, 50_000)]);
    let (mut c, no) = (counters(), AtomicU32::new(0));
    let stop = rt.run(0x100, &mut state, &mut [], 12_345, u64::MAX, &mut c, &no).unwrap();
    assert_eq!((stop.reason, stop.pc, stop.fuel_left), (StopReason::Exit(ExitReason::Fuel), 0x100, 0));
    assert_eq!(word(&state, 8), 50_000 - 12_345);
    // Resuming finishes the same computation.
    let stop = rt.run(stop.pc, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
    assert_eq!(stop.reason, StopReason::Exit(ExitReason::Halt));
    assert_eq!(word(&state, 16), (0..50_000u64).sum::<u64>());
}

#[test]
fn decision_points_come_every_slice() {
    let mut rt = Runtime::new(domain(), 64);
    rt.install(compiled(&countdown(), OptLevel::None)).unwrap();
    rt.install(compiled(&halt_block(), OptLevel::None)).unwrap();
    let mut state = state_with(64, &[(8, 100_000)]);
    let (mut c, no) = (counters(), AtomicU32::new(0));
    let (mut pc, mut fuel, mut decisions) = (0x100, u64::MAX, 0);
    loop {
        let stop = rt.run(pc, &mut state, &mut [], fuel, 10_000, &mut c, &no).unwrap();
        match stop.reason {
            StopReason::Decision => decisions += 1,
            StopReason::Exit(ExitReason::Halt) => break,
            other => panic!("{other:?}"),
        }
        (pc, fuel) = (stop.pc, stop.fuel_left);
    }
    assert!((9..=11).contains(&decisions), "{decisions}");
    assert_eq!(word(&state, 16), (0..100_000u64).sum::<u64>());
}

#[test]
fn interpreted_and_compiled_units_mix() {
    let mut rt = Runtime::new(domain(), 64);
    let a = runtime::interpreted_unit(&countdown()).unwrap();
    rt.install(a.clone()).unwrap();
    rt.install(compiled(&halt_block(), OptLevel::None)).unwrap();
    let mut state = state_with(64, &[(8, 1000)]);
    let (mut c, no) = (counters(), AtomicU32::new(0));
    let stop = rt.run(0x100, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
    assert_eq!(stop.reason, StopReason::Exit(ExitReason::Halt));
    assert_eq!(c[a.id as usize], 1000);
    assert_eq!(stop.dispatched, 1001);
    // Promote: the compiled unit replaces the interpreted one, chaining from then on.
    let fast = compiled(&countdown(), OptLevel::Speed);
    rt.install(fast).unwrap();
    runtime::retire(&a);
    let mut state = state_with(64, &[(8, 1000)]);
    let stop = rt.run(0x100, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
    assert_eq!(stop.reason, StopReason::Exit(ExitReason::Halt));
    assert!(stop.dispatched < 10);
}

#[test]
fn retiring_a_unit_unlinks_every_chain_into_it() {
    let mut rt = Runtime::new(domain(), 64);
    let a = compiled(&countdown(), OptLevel::None);
    let b = compiled(&halt_block(), OptLevel::None);
    rt.install(a.clone()).unwrap();
    rt.install(b.clone()).unwrap();
    assert_ne!(a.slots[1].load(Ordering::Relaxed), 0, "exit to 0x200 linked");
    rt.remove(0x200);
    runtime::retire(&b);
    assert_eq!(a.slots[1].load(Ordering::Relaxed), 0, "exit to 0x200 unlinked");
    let mut state = state_with(64, &[(8, 5)]);
    let (mut c, no) = (counters(), AtomicU32::new(0));
    let stop = rt.run(0x100, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
    assert_eq!((stop.reason, stop.pc), (StopReason::Miss, 0x200));
}

#[test]
fn interrupt_from_another_thread_stops_a_chained_loop() {
    // 0x300: exit 0x300 forever.
    let spin: Block = BlockBuilder::new(0x300).main(|m| m.exit_const(0x300));
    let mut rt = Runtime::new(domain(), 64);
    rt.install(compiled(&verify(spin).unwrap(), OptLevel::Speed)).unwrap();
    let flag = Arc::new(AtomicU32::new(0));
    let f2 = flag.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        f2.store(1, Ordering::Relaxed);
    });
    let mut c = counters();
    let stop = rt.run(0x300, &mut state_with(64, &[]), &mut [], u64::MAX, u64::MAX, &mut c, &flag).unwrap();
    t.join().unwrap();
    assert_eq!((stop.reason, stop.pc), (StopReason::Exit(ExitReason::Interrupt), 0x300));
}

#[test]
fn background_pool_compiles_and_reports() {
    let mut pool = CompilePool::new(2);
    let done = Arc::new(AtomicU32::new(0));
    for (i, vb) in [countdown(), halt_block()].into_iter().enumerate() {
        let d = done.clone();
        pool.submit(CompileJob {
            id: i as u64,
            vb,
            config: BackendConfig::with_opt_level(OptLevel::Speed),
            options: UnitOptions::CHAINED,
            on_done: Some(Box::new(move |_| {
                d.fetch_add(1, Ordering::SeqCst);
            })),
        });
    }
    assert!(pool.wait_idle(0));
    let jobs = pool.drain();
    assert_eq!(jobs.len(), 2);
    assert_eq!(done.load(Ordering::SeqCst), 2);
    let mut rt = Runtime::new(domain(), 64);
    for j in &jobs {
        assert!(j.end_us >= j.start_us);
        rt.install(j.result.as_ref().unwrap().clone()).unwrap();
    }
    let mut state = state_with(64, &[(8, 3)]);
    let (mut c, no) = (counters(), AtomicU32::new(0));
    let stop = rt.run(0x100, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
    assert_eq!(stop.reason, StopReason::Exit(ExitReason::Halt));
}

#[test]
fn a_unit_needing_more_state_than_the_runtime_is_refused() {
    let mut rt = Runtime::new(domain(), 8);
    let e = rt.install(compiled(&countdown(), OptLevel::None)).unwrap_err();
    assert!(e.message.contains("uses 24 bytes of guest state"), "{e}");
}

#[test]
fn a_panic_in_a_compile_thread_is_an_error_and_the_thread_survives() {
    fn explode(_: &VerifiedBlock, _: &BackendConfig, _: UnitOptions) -> Result<Arc<Unit>, vm_jit_core::ir::IrError> {
        panic!("simulated Cranelift crash")
    }
    let mut pool = CompilePool::with_compiler(1, explode);
    let reported = Arc::new(std::sync::Mutex::new(Vec::new()));
    for id in 0..2 {
        let r = reported.clone();
        pool.submit(CompileJob {
            id,
            vb: halt_block(),
            config: BackendConfig::with_opt_level(OptLevel::Speed),
            options: UnitOptions::CHAINED,
            // The binding rejects the job's Promise from here with this message.
            on_done: Some(Box::new(move |done| {
                r.lock().unwrap().push(done.result.as_ref().err().map(|e| e.message.clone()));
            })),
        });
    }
    assert!(pool.wait_idle(0));
    let jobs = pool.drain();
    // Both jobs came back (the thread survived the first panic), each with the panic's message.
    assert_eq!(jobs.len(), 2);
    for msg in reported.lock().unwrap().iter() {
        let msg = msg.as_deref().expect("an error, not a unit");
        assert!(msg.contains("compile thread panicked: simulated Cranelift crash"), "{msg}");
    }
}

/// 0x100: exit to the pc held in state slot 24 (a computed, "dynamic" exit: a return).
fn dynamic_exit() -> VerifiedBlock {
    verify(BlockBuilder::new(0x100).main(|m| {
        let to = m.get_state(I64, 24);
        m.exit(to);
    }))
    .unwrap()
}

/// `pc`: x1 -= 1; x2 += `step`; back to 0x100 while x1 != 0, else halt.
fn step_block(pc: u64, step: u64) -> VerifiedBlock {
    verify(BlockBuilder::new(pc).main(|m| {
        let (again, done) = count_down(m, |m, _| m.iconst(I64, step));
        m.bind(again);
        m.exit_const(0x100);
        m.bind(done);
        let h = m.iconst(I64, pc);
        m.halt(h);
    }))
    .unwrap()
}

#[test]
fn dynamic_exits_go_through_the_jump_cache_and_never_to_replaced_code() {
    for level in [OptLevel::None, OptLevel::Speed] {
        let mut rt = Runtime::new(domain(), 64);
        let a = compiled(&dynamic_exit(), level);
        let b = compiled(&step_block(0x300, 1), level);
        rt.install(a.clone()).unwrap();
        rt.install(b.clone()).unwrap();
        let (mut c, no) = (counters(), AtomicU32::new(0));
        let mut state = state_with(64, &[(8, 50_000), (24, 0x300)]);
        let stop = rt.run(0x100, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
        assert_eq!((stop.reason, stop.pc), (StopReason::Exit(ExitReason::Halt), 0x300));
        assert_eq!(word(&state, 16), 50_000);
        assert_eq!((c[a.id as usize], c[b.id as usize]), (50_000, 50_000));
        // The dispatcher saw a block now and then (the fuel check points), not every dynamic exit.
        assert!(stop.dispatched < 1000, "{level:?}: {} dispatched", stop.dispatched);
        assert_eq!(u64::MAX - stop.fuel_left, 100_000, "one fuel per block entry");

        // Replaced: the dynamic exit must reach the new unit, not the one the cache held.
        let b2 = compiled(&step_block(0x300, 10), level);
        rt.install(b2.clone()).unwrap();
        runtime::retire(&b);
        let mut state = state_with(64, &[(8, 1_000), (24, 0x300)]);
        let stop = rt.run(0x100, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
        assert_eq!(stop.reason, StopReason::Exit(ExitReason::Halt));
        assert_eq!(word(&state, 16), 10_000, "{level:?}: ran the replaced unit");

        // Removed: a miss at the computed pc, however warm the cache was.
        rt.remove(0x300);
        let mut state = state_with(64, &[(8, 5), (24, 0x300)]);
        let stop = rt.run(0x100, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
        assert_eq!((stop.reason, stop.pc), (StopReason::Miss, 0x300));
        assert_eq!(word(&state, 8), 5, "nothing ran past the exit");
        runtime::retire(&a);
        runtime::retire(&b2);
    }
}

#[test]
fn a_standalone_unit_returns_at_a_dynamic_exit() {
    let mut rt = Runtime::new(domain(), 64);
    let a = runtime::build_standalone_unit(&dynamic_exit(), &BackendConfig::with_opt_level(OptLevel::Speed)).unwrap();
    let b = compiled(&step_block(0x300, 1), OptLevel::Speed);
    rt.install(b.clone()).unwrap();
    let (mut c, no) = (counters(), AtomicU32::new(0));
    // Warm the cache for 0x300 through the dispatcher first.
    let mut state = state_with(64, &[(8, 1), (24, 0x300)]);
    rt.run(0x300, &mut state, &mut [], u64::MAX, u64::MAX, &mut c, &no).unwrap();
    let mut state = state_with(64, &[(8, 3), (24, 0x300)]);
    let stop = rt.run_unit(&a, &mut state, &mut [], u64::MAX, &mut c, &no).unwrap();
    assert_eq!((stop.reason, stop.pc), (StopReason::Exit(ExitReason::Exit), 0x300));
    assert_eq!(word(&state, 8), 3, "the unit returned instead of going on into 0x300");
    runtime::retire(&a);
    runtime::retire(&b);
}
