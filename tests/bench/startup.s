/*
 * Startup for the mps2-an386 benchmark: vector table, .data copy, .bss clear, call main, and
 * the three semihosting calls the benchmark uses (BKPT 0xAB with the operation in r0).
 */
  .syntax unified
  .thumb

  .section .vectors, "a"
  .word __stack_top
  .word reset_handler
  .rept 14
  .word fault_handler
  .endr

  .text
  .thumb_func
  .global reset_handler
reset_handler:
  ldr r0, =__data_load
  ldr r1, =__data_start
  ldr r2, =__data_end
1:cmp r1, r2
  bhs 2f
  ldr r3, [r0], #4
  str r3, [r1], #4
  b 1b
2:ldr r1, =__bss_start
  ldr r2, =__bss_end
  movs r3, #0
3:cmp r1, r2
  bhs 4f
  str r3, [r1], #4
  b 3b
4:bl main
  b .

  .thumb_func
fault_handler:
  movs r0, #0x18          /* SYS_EXIT */
  ldr r1, =0x20023        /* ADP_Stopped_InternalError */
  bkpt 0xab
  b .

  .thumb_func
  .global semihost_write0
semihost_write0:
  mov r1, r0
  movs r0, #0x04          /* SYS_WRITE0 */
  bkpt 0xab
  bx lr

  .thumb_func
  .global semihost_cmdline
semihost_cmdline:
  push {r0, r1}           /* parameter block: buffer, size */
  mov r1, sp
  movs r0, #0x15          /* SYS_GET_CMDLINE */
  bkpt 0xab
  add sp, #8
  bx lr

  .thumb_func
  .global semihost_exit_ok
semihost_exit_ok:
  movs r0, #0x18          /* SYS_EXIT */
  ldr r1, =0x20026        /* ADP_Stopped_ApplicationExit */
  bkpt 0xab
  b .
