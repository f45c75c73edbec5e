//! Backend configuration (the seed's `CraneliftConfig`) and the Cranelift flags it maps to.

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};

use crate::ir::IrError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptLevel {
    /// Tier 1: fastest compile.
    None,
    /// Tier 2: fastest code.
    Speed,
    /// Tier 2, also shrinking code.
    SpeedAndSize,
}

impl OptLevel {
    pub fn parse(s: &str) -> Result<OptLevel, IrError> {
        match s {
            "none" => Ok(OptLevel::None),
            "speed" => Ok(OptLevel::Speed),
            "speedAndSize" | "speed_and_size" => Ok(OptLevel::SpeedAndSize),
            _ => Err(IrError::new(format!("optLevel must be 'none', 'speed' or 'speedAndSize', got {s:?}"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::SpeedAndSize => "speedAndSize",
        }
    }

    fn cranelift_name(self) -> &'static str {
        match self {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::SpeedAndSize => "speed_and_size",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegallocAlgorithm {
    Backtracking,
    SinglePass,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendConfig {
    pub opt_level: OptLevel,
    /// Let Cranelift use the host's vector extensions (SSE4.1/AVX… as cranelift-native detects).
    pub enable_simd: bool,
    /// Inline small IR helper functions (optimised tiers only).
    pub enable_inlining: bool,
    /// Register allocator; `None` picks the one measured best for the opt level.
    pub regalloc: Option<RegallocAlgorithm>,
    /// Run Cranelift's IR verifier (slow; on in debug builds).
    pub verify: bool,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            opt_level: OptLevel::Speed,
            enable_simd: true,
            enable_inlining: true,
            regalloc: None,
            verify: cfg!(debug_assertions),
        }
    }
}

impl BackendConfig {
    pub fn with_opt_level(opt_level: OptLevel) -> BackendConfig {
        BackendConfig { opt_level, ..BackendConfig::default() }
    }

    /// Measured (BENCHMARKS.md): the single-pass allocator cuts tier-1 compile time by about a
    /// quarter; the optimised tiers keep the backtracking allocator for better code.
    pub fn regalloc_algorithm(&self) -> RegallocAlgorithm {
        self.regalloc.unwrap_or(match self.opt_level {
            OptLevel::None => RegallocAlgorithm::SinglePass,
            _ => RegallocAlgorithm::Backtracking,
        })
    }
}

fn set(b: &mut settings::Builder, name: &str, value: &str) -> Result<(), IrError> {
    b.set(name, value).map_err(|e| IrError::new(format!("Cranelift setting {name}={value}: {e}")))
}

/// The host ISA with flags for `config`.
pub fn host_isa(config: &BackendConfig) -> Result<OwnedTargetIsa, IrError> {
    let mut flags = settings::builder();
    set(&mut flags, "opt_level", config.opt_level.cranelift_name())?;
    set(&mut flags, "enable_verifier", if config.verify { "true" } else { "false" })?;
    set(
        &mut flags,
        "regalloc_algorithm",
        match config.regalloc_algorithm() {
            RegallocAlgorithm::Backtracking => "backtracking",
            RegallocAlgorithm::SinglePass => "single_pass",
        },
    )?;
    // Code is placed at an address we pick: no PIC, no GOT.
    set(&mut flags, "is_pic", "false")?;
    // Nothing unwinds through generated code (it never panics or throws).
    set(&mut flags, "unwind_info", "false")?;
    // Frame pointers let `perf` and debuggers walk through JIT frames.
    set(&mut flags, "preserve_frame_pointers", "true")?;
    // Very large blocks can have big frames; probe inline so no libcall is needed.
    set(&mut flags, "enable_probestack", "true")?;
    set(&mut flags, "probestack_strategy", "inline")?;
    let shared = settings::Flags::new(flags);
    let isa_builder = if config.enable_simd {
        cranelift_native::builder()
    } else {
        // Baseline features only: no host detection.
        cranelift_native::builder_with_options(false)
    }
    .map_err(|e| IrError::new(format!("this host is not supported by Cranelift: {e}")))?;
    isa_builder.finish(shared).map_err(|e| IrError::new(format!("Cranelift ISA setup failed: {e}")))
}
