@ Exclusive monitor: LDREX/STREX succeed as a pair, STREX without a reservation fails, CLREX
@ drops the reservation, an exception between LDREX and STREX clears it (the exception
@ return clears the local monitor), and byte/halfword forms behave the same.
  .text
  .thumb_func
  .global main
main:
  push {r4-r7, lr}
  ldr r4, =results
  ldr r6, =shared
  ldrex r0, [r6]
  adds r0, #1
  strex r1, r0, [r6]
  str r1, [r4, #0]            @ 0: success
  strex r1, r0, [r6]
  str r1, [r4, #4]            @ 1: no reservation
  ldrex r0, [r6]
  clrex
  strex r1, r0, [r6]
  str r1, [r4, #8]            @ 1: cleared
  ldrex r0, [r6]
  svc #0
  strex r1, r0, [r6]
  str r1, [r4, #12]           @ 1: cleared by the exception
  ldrexb r0, [r6]
  strexb r1, r0, [r6]
  str r1, [r4, #16]
  add r7, r6, #2
  ldrexh r0, [r7]
  strexh r1, r0, [r7]
  str r1, [r4, #20]
  ldrex r0, [r6]
  add r7, r6, #4
  strex r1, r0, [r7]          @ different address: implementation-defined; record it
  str r1, [r4, #24]
  ldr r0, [r6]
  str r0, [r4, #28]
  pop {r4-r7, pc}

  .thumb_func
  .global svc_handler
svc_handler:
  bx lr

  .data
  .align 3
shared:
  .word 41
  .word 0
