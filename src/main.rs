//! The binary: everything lives in the library, so tests and fuzz targets
//! call the same code. The allocator wipes every block before freeing it.

// `gcp_plain_alloc` is set only by the benchmark, to measure what wiping costs.
#[cfg(not(gcp_plain_alloc))]
#[global_allocator]
static ALLOCATOR: generic_credential_provider::WipingAllocator =
    generic_credential_provider::WipingAllocator;

fn main() -> std::process::ExitCode {
    generic_credential_provider::main()
}
