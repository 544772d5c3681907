//! One test per listing: its output files still match what it prints.

fn check_listing(package: &str) {
    let listing = book_outputs::find(package).expect("build.rs lists only known listings");
    let runner = std::path::Path::new(env!("CARGO_BIN_EXE_run-listing"));
    if let Err(failure) = book_outputs::check(runner, listing) {
        panic!("{failure}");
    }
}

include!(concat!(env!("OUT_DIR"), "/listing_tests.rs"));
