//! The binary: no std runtime. The C library's start-up calls `main`, which
//! hands the arguments to the library; a panic prints one fixed line and
//! aborts; the allocator wipes every block it frees, and the rest at exit.
#![no_std]
#![no_main]

use core::ffi::c_int;
use generic_credential_provider as gcp;

// `gcp_plain_alloc` is set only by the benchmark, to measure what the arena costs.
#[cfg(not(gcp_plain_alloc))]
#[global_allocator]
static ALLOCATOR: gcp::Allocator = gcp::Allocator::new();
#[cfg(gcp_plain_alloc)]
#[global_allocator]
static ALLOCATOR: gcp::MallocAllocator = gcp::MallocAllocator;

#[panic_handler]
fn on_panic(_: &core::panic::PanicInfo<'_>) -> ! {
    gcp::abort_on_panic()
}

/// The precompiled `alloc` carries unwinding landing pads that name these
/// two symbols; with `panic = "abort"` and the handler above nothing ever
/// unwinds, so neither can be reached. Defined so the binary links without
/// an unwinder.
#[unsafe(no_mangle)]
extern "C" fn _Unwind_Resume() -> ! {
    gcp::abort_on_panic()
}

/// See [`_Unwind_Resume`].
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() -> ! {
    gcp::abort_on_panic()
}

#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, argv: gcp::Argv) -> c_int {
    let code = gcp::main(argv);
    #[cfg(not(gcp_plain_alloc))]
    ALLOCATOR.wipe_all();
    code
}
