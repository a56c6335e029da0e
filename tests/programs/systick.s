@ SysTick: program RVR, enable with TICKINT and the core clock, then pend the SysTick exception
@ through ICSR.PENDSTSET (deterministic on both sides, unlike the counter's wrap time) and
@ through a mask/unmask with PRIMASK; the handler counts and records ICSR's VECTACTIVE.
  .text
  .thumb_func
  .global main
main:
  push {r4, lr}
  ldr r4, =results
  ldr r0, =SYST_RVR
  ldr r1, =0x00FFFFFF
  str r1, [r0]
  ldr r2, [r0]
  str r2, [r4, #16]
  ldr r0, =SYST_CSR
  movs r1, #7                 @ ENABLE | TICKINT | CLKSOURCE
  str r1, [r0]
  ldr r0, =ICSR
  mov r1, #0x04000000         @ PENDSTSET
  str r1, [r0]
  isb
  cpsid i
  str r1, [r0]
  ldr r2, [r0]
  str r2, [r4, #20]           @ ICSR with SysTick pending and masked
  cpsie i
  isb
  ldr r0, =SYST_CSR
  movs r1, #0
  str r1, [r0]
  pop {r4, pc}

  .thumb_func
  .global systick_handler
systick_handler:
  ldr r0, [r4, #0]
  adds r0, #1
  str r0, [r4, #0]
  ldr r1, =ICSR
  ldr r1, [r1]
  ubfx r1, r1, #0, #9
  str r1, [r4, #4]
  bx lr
