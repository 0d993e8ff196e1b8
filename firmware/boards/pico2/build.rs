//! Model blob, memory map and run settings (see `kantor_board::build`).

fn main() {
    // Phrases of two bars, each continuing the last bar of the one before: 48 frames.
    kantor_board::build::configure(48, 2);
}
