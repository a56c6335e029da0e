/**
 * The declared value of a number field that will hold values outside int32: cycle counts and
 * cycle stamps (the clock passes 2^31 cycles after 34 s of the 64 MHz nRF52840, at once when
 * the core sleeps through a long wait), and 32-bit addresses as unsigned numbers (an exception
 * return writes 0xFFFFFFFD to the PC, ARMv7-M ARM B1.5.8). The constructor then stores the
 * field's real first value.
 *
 * Why: V8 keeps a number field as a small integer (a Smi: int32 in Node's x64 build) while
 * every value stored in it has been one, and gives the object a new hidden class the first
 * time another number is stored. Every function optimised for the old class then deoptimizes
 * ("wrong map", `node --trace-deopt`) and runs unoptimised until V8 compiles it again. V8 never
 * narrows a field back, so a field whose first value is a fraction holds doubles from the
 * start, and the class never changes. On the busy nRF52840 kernel's first run
 * (tests/bench/nrf-busy-trace.ts), functions deoptimized 24 times for a wrong map, most of
 * them the core's own (`inner`, `fetch`, `read32A`, `privileged`, `mpuContext`...); 5 times
 * with the cycle and address fields declared this way (objects of several classes meeting at
 * one site, the peripherals' `read`). `node --trace-migration` lists the fields that change
 * representation while the emulator runs: none in that run now.
 */
export const DOUBLE_FIELD = 0.5;
