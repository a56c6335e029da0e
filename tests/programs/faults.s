@ Fault traps and escalation: divide-by-zero and unaligned traps (CCR.DIV_0_TRP/UNALIGN_TRP),
@ UDF and unallocated encodings (16- and 32-bit), an FPU instruction with the FPU disabled and
@ coprocessor instructions with no coprocessor (NOCP), a precise BusFault on an unmapped address (BFAR), each handled by
@ UsageFault/BusFault with SHCSR enables; then the same divide with UsageFault disabled,
@ escalated to HardFault (HFSR.FORCED). Handlers record CFSR/HFSR/BFAR, clear them and skip
@ the faulting instruction.
  .text
  .thumb_func
  .global main
main:
  push {r4-r6, lr}
  ldr r4, =results
  movs r5, #0                 @ result slot
  ldr r0, =CCR
  ldr r1, [r0]
  orr r1, r1, #0x18           @ DIV_0_TRP | UNALIGN_TRP
  str r1, [r0]
  ldr r0, =SHCSR
  ldr r1, =0x00060000         @ USGFAULTENA | BUSFAULTENA
  str r1, [r0]
  movs r1, #10
  movs r2, #0
  udiv r3, r1, r2             @ UsageFault DIVBYZERO
  ldr r0, =results + 1
  ldr r3, [r0]                @ UsageFault UNALIGNED
  ldrh r3, [r0]               @ UsageFault UNALIGNED (halfword)
  udf #3                      @ UsageFault UNDEFINSTR
  udf.w #0x1234               @ UsageFault UNDEFINSTR (32-bit)
  .inst.n 0xb600              @ unallocated 16-bit (SETEND's space, not in ARMv7-M): UNDEFINSTR
  .inst.w 0xe8000000          @ unallocated 32-bit (load/store multiple op=00): UNDEFINSTR
  .fpu fpv4-sp-d16
  vadd.f32 s0, s0, s1         @ UsageFault NOCP: CP10/CP11 disabled in CPACR
  .inst.w 0xee000000 | (3 << 8) @ CDP p3: no coprocessor 3: UsageFault NOCP
  .inst.w 0xfe000000 | (5 << 8) @ CDP2 p5 (second coprocessor space): UsageFault NOCP
  mov r0, #0x60000000
  ldr r3, [r0]                @ BusFault PRECISERR, BFAR = 0x60000000
  ldr r0, =SHCSR
  movs r1, #0
  str r1, [r0]                @ UsageFault disabled: escalates
  sdiv r3, r1, r2             @ HardFault FORCED
  ldr r0, =CCR
  ldr r1, [r0]
  str r1, [r4, #200]
  pop {r4-r6, pc}

  .macro record_and_skip
  ldr r0, =CFSR
  ldr r1, [r0]
  str r1, [r4, r5]
  adds r5, #4
  str r1, [r0]                @ write-one-to-clear
  ldr r0, =HFSR
  ldr r1, [r0]
  str r1, [r4, r5]
  adds r5, #4
  str r1, [r0]
  ldr r2, [sp, #24]           @ stacked PC: skip a 16- or 32-bit instruction
  ldrh r3, [r2]
  and r3, r3, #0xF800
  cmp r3, #0xE800
  ite hs
  addhs r2, #4
  addlo r2, #2
  str r2, [sp, #24]
  str lr, [r4, #220]
  .endm

  .thumb_func
  .global usagefault_handler
usagefault_handler:
  record_and_skip
  bx lr

  .thumb_func
  .global busfault_handler
busfault_handler:
  ldr r0, =BFAR
  ldr r1, [r0]
  str r1, [r4, #208]
  record_and_skip
  bx lr

  .thumb_func
  .global hardfault_handler
hardfault_handler:
  record_and_skip
  bx lr
