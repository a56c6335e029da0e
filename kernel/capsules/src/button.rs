//! Buttons (driver 0x3), with the command numbers, upcall and semantics of Tock's button driver
//! (doc/syscalls/00003_buttons.md).
//!
//! ```ignore
//! let buttons = static_init!(ButtonDriver, ButtonDriver::new(&[(&b1, true)], ints, grant, kernel));
//! ```
//!
//! System calls:
//! - command 0: SuccessU32(number of buttons).
//! - command 1 (i): this process wants upcalls for button i (press and release); 2 (i): no
//!   longer. Success, or Failure(INVALID) for an index past the last button.
//! - command 3 (i): SuccessU32(1 while pressed, 0 otherwise), or Failure(INVALID).
//! - subscribe 0: upcall (button index, 1 pressed / 0 released, 0) on each change of an
//!   enabled button. No allow; anything else: Failure(NOSUPPORT).
//!
//! The buttons' pins are watched for both edges from the start (the board enables that).

use core::cell::Cell;
use kernel::grant::Grant;
use kernel::hil::gpio::{Edge, InterruptClient, Interrupts, Pin, Pull};
use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::{ErrorCode, Kernel};

/// Driver number.
pub const DRIVER_NUM: u32 = 0x3;

/// Per process: the buttons it wants upcalls for (bit i = button i).
#[derive(Default)]
pub struct App {
    enabled: u32,
}

/// The driver.
pub struct ButtonDriver<'a> {
    buttons: &'a [(&'a dyn Pin, bool)],
    apps: Grant<App>,
    kernel: &'static Kernel,
    /// Last level seen per button (bit i), so a bounce with no change makes no upcall.
    pressed: Cell<u32>,
}

impl<'a> ButtonDriver<'a> {
    /// Buttons `buttons` (pin, active low: pressing pulls the pin low), as pulled-up or
    /// pulled-down inputs watched on both edges through `interrupts`.
    pub fn new(
        buttons: &'a [(&'a dyn Pin, bool)],
        interrupts: &dyn Interrupts,
        apps: Grant<App>,
        kernel: &'static Kernel,
    ) -> Self {
        for (i, (pin, active_low)) in buttons.iter().enumerate() {
            pin.make_input(if *active_low { Pull::Up } else { Pull::Down });
            let _ = interrupts.enable(i, Edge::Either);
        }
        let d = ButtonDriver {
            buttons,
            apps,
            kernel,
            pressed: Cell::new(0),
        };
        d.pressed
            .set((0..buttons.len()).fold(0, |m, i| m | ((d.is_pressed(i) as u32) << i)));
        d
    }

    fn is_pressed(&self, i: usize) -> bool {
        let (pin, active_low) = self.buttons[i];
        pin.read() != active_low
    }
}

impl<'a> InterruptClient for ButtonDriver<'a> {
    fn fired(&self, index: usize) {
        if index >= self.buttons.len() {
            return;
        }
        let now = self.is_pressed(index);
        let bit = 1u32 << index;
        if ((self.pressed.get() & bit) != 0) == now {
            return;
        }
        self.pressed.set(self.pressed.get() ^ bit);
        let kernel = self.kernel;
        self.apps.each(|pid, app| {
            if app.enabled & bit != 0 {
                kernel.schedule_upcall(pid, DRIVER_NUM, 0, [index as u32, now as u32, 0]);
            }
        });
    }
}

impl<'a> SyscallDriver for ButtonDriver<'a> {
    fn subscribe_number_ok(&self, number: u32) -> bool {
        number == 0
    }
    fn allow_number_ok(&self, _readonly: bool, _number: u32) -> bool {
        false
    }

    fn command(&self, command: u32, index: u32, _b: u32, pid: ProcessId) -> CommandReturn {
        let i = index as usize;
        match command {
            0 => CommandReturn::success_u32(self.buttons.len() as u32),
            1..=3 if i >= self.buttons.len() => CommandReturn::failure(ErrorCode::Invalid),
            1 | 2 => CommandReturn::from_result(self.apps.enter(pid, |app| {
                if command == 1 {
                    app.enabled |= 1 << i;
                } else {
                    app.enabled &= !(1 << i);
                }
            })),
            3 => CommandReturn::success_u32(self.is_pressed(i) as u32),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
