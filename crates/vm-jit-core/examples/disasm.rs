//! Prints Cranelift's disassembly of a block read from a file of IR bytes (`Block.bytes`).
//! `cargo run --release -p vm-jit-core --example disasm -- block.bin [none|speed] [--opt]`
//! `--opt` first runs the default optimiser pipeline, as tier 2 does, and prints the optimised IR.
use vm_jit_core::backend::{BackendConfig, CraneliftBackend, OptLevel};
use vm_jit_core::opt::Optimizer;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = args.iter().any(|a| a == "--opt");
    let mut rest = args.iter().filter(|a| *a != "--opt");
    let path = rest.next().expect("usage: disasm <block.bin> [none|speed] [--opt]");
    let level = OptLevel::parse(rest.next().map(String::as_str).unwrap_or("speed")).unwrap();
    let bytes = std::fs::read(path).unwrap();
    let mut vb = vm_jit_core::ir::decode_and_verify(&bytes).unwrap();
    if opt {
        vb = Optimizer::default_pipeline().optimize(&vb).unwrap().0;
        println!("{}", vm_jit_core::ir::print_verified(&vb));
    }
    let mut be = CraneliftBackend::new(BackendConfig::with_opt_level(level)).unwrap();
    println!("{}", be.disassemble(&vb).unwrap());
}
