//! Prints Cranelift's disassembly of a block read from a file of IR bytes (`Block.bytes`).
//! `cargo run --release -p vm-jit-core --example disasm -- block.bin [none|speed]`
use vm_jit_core::backend::{BackendConfig, CraneliftBackend, OptLevel};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: disasm <block.bin> [none|speed]");
    let level = OptLevel::parse(&args.next().unwrap_or_else(|| "speed".into())).unwrap();
    let bytes = std::fs::read(path).unwrap();
    let vb = vm_jit_core::ir::decode_and_verify(&bytes).unwrap();
    let mut be = CraneliftBackend::new(BackendConfig::with_opt_level(level)).unwrap();
    println!("{}", be.disassemble(&vb).unwrap());
}
