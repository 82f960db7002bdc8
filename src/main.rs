//! The binary: everything lives in the library, so tests and fuzz targets
//! call the same code. The allocator wipes every block before freeing it.

#[global_allocator]
static ALLOCATOR: generic_credential_provider::WipingAllocator =
    generic_credential_provider::WipingAllocator;

fn main() -> std::process::ExitCode {
    generic_credential_provider::main()
}
