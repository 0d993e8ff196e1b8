//! What Kantor's microcontroller boards share.
//!
//! - In a board's `build.rs` (feature `build`): [`build::configure`] finds the model blob
//!   (`KANTOR_MODEL`, default `models/default/model.kq8`), copies it and the board's
//!   `memory.x` to `OUT_DIR`, sizes the engine's arena for the board's frames, and writes
//!   the run's settings as constants (`settings.rs`).
//! - In the board: [`board_composer!`] declares the static buffers and builds the
//!   [`BoardComposer`]: the annealed Langevin sampler over the int8 engine, or, for a
//!   build without a model, seeded cadences (and says so).
//! - On Cortex-M (feature `cortex-m`): [`systick::SysTickClock`], the player's clock and
//!   delay from SysTick, [`stack`], the stack high-water mark by painting, [`pieces`],
//!   the player's pieces on a button, [`endless`], the endless chorale (started and
//!   stopped by a button), both played from the SysTick interrupt ([`stage`]) while the
//!   next phrase is composed, and [`serial::MidiOut`], a HAL's serial transmitter as the
//!   MIDI port.
#![no_std]

#[cfg(feature = "build")]
extern crate std;

#[cfg(feature = "build")]
pub mod build;
#[cfg(feature = "cortex-m")]
pub mod endless;
#[cfg(feature = "cortex-m")]
pub mod pieces;
#[cfg(feature = "cortex-m")]
pub mod serial;
#[cfg(feature = "cortex-m")]
pub mod stack;
#[cfg(feature = "cortex-m")]
pub mod stage;
#[cfg(feature = "cortex-m")]
pub mod systick;

use kantor_core::engine::Int8ScoreNet;
use kantor_core::player::{Budget, LangevinComposer};

pub use kantor_core::engine::{Aligned, EngineError};
pub use kantor_core::player::Cadences as CadenceComposer;

/// The int8 network over a blob and an arena in static memory.
pub type StaticNet = Int8ScoreNet<&'static [u8], &'static mut [u8]>;

/// The composer a board plays, over static memory: the model when it was built with one,
/// else cadences.
pub type BoardComposer<const MAX: usize> = kantor_core::player::BoardComposer<'static, &'static [u8], &'static mut [u8], MAX>;

/// The sampler over `blob` for phrases of `phrase_bars` bars of 4/4 continuing
/// `MAX - phrase` frames of context, with the model's own settings cut to `budget`.
pub fn model_composer<const MAX: usize>(
    blob: &'static [u8],
    arena: &'static mut [u8],
    workspace: &'static mut [f32],
    phrase_bars: usize,
    budget: Budget,
) -> Result<BoardComposer<MAX>, EngineError> {
    let net = Int8ScoreNet::new(blob, arena, MAX)?;
    Ok(BoardComposer::Model(LangevinComposer::phrases(net, phrase_bars, budget, workspace)))
}

/// Declares the static blob, arena and workspace from the board's `settings.rs` (which
/// must be in scope as `settings`) and evaluates to a `Result<BoardComposer<FRAMES>,
/// EngineError>`. Call it once.
#[macro_export]
macro_rules! board_composer {
    () => {{
        #[cfg(kantor_model)]
        {
            static MODEL: &$crate::Aligned<[u8]> = &$crate::Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/model.kq8")));
            static mut ARENA: [u8; settings::ARENA_BYTES] = [0; settings::ARENA_BYTES];
            static mut WORKSPACE: [f32; settings::WORKSPACE_FLOATS] = [0.0; settings::WORKSPACE_FLOATS];
            // SAFETY: the macro is called once, so these are the only references.
            let (arena, workspace) = unsafe { (&mut *core::ptr::addr_of_mut!(ARENA), &mut *core::ptr::addr_of_mut!(WORKSPACE)) };
            $crate::model_composer::<{ settings::FRAMES }>(&MODEL.0, &mut arena[..], &mut workspace[..], settings::PHRASE_BARS, kantor_core::player::Budget { levels: settings::LEVELS, steps_per_level: settings::STEPS_PER_LEVEL })
        }
        #[cfg(not(kantor_model))]
        {
            Ok::<_, $crate::EngineError>($crate::BoardComposer::<{ settings::FRAMES }>::Cadences($crate::CadenceComposer))
        }
    }};
}
