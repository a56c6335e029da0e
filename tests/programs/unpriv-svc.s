@ SVC from unprivileged Thread code on the process stack: the handler finds the frame on PSP,
@ reads and rewrites the stacked r0 (the system-call result), and the caller sees it. Then the
@ handler gives privilege back, so main can finish privileged on MSP.
  .text
  .thumb_func
  .global main
main:
  push {r4-r7, lr}
  ldr r4, =results
  ldr r0, =psp_stack_top
  msr psp, r0
  movs r0, #3                 @ SPSEL=1 (PSP), nPRIV=1
  msr control, r0
  isb
  mrs r1, control
  str r1, [r4, #0]
  movs r0, #5
  movs r1, #6
  svc #1                      @ add r0+r1 -> r0
  str r0, [r4, #4]
  mov r2, sp
  str r2, [r4, #8]            @ still on PSP
  svc #2                      @ return to privileged
  mrs r1, control
  str r1, [r4, #12]
  movs r0, #0
  msr control, r0             @ back to MSP
  isb
  mov r2, sp
  str r2, [r4, #16]
  pop {r4-r7, pc}

  .thumb_func
  .global svc_handler
svc_handler:
  tst lr, #4
  ite eq
  mrseq r0, msp
  mrsne r0, psp
  str lr, [r4, #20]
  str r0, [r4, #24]
  ldr r1, [r0, #24]           @ stacked PC
  ldrb r1, [r1, #-2]          @ SVC number
  cmp r1, #1
  bne 1f
  ldr r2, [r0, #0]
  ldr r3, [r0, #4]
  add r2, r3
  str r2, [r0, #0]            @ result in stacked r0
  bx lr
1:mrs r2, control
  bic r2, r2, #1
  msr control, r2
  bx lr

  .bss
  .align 3
  .space 512
psp_stack_top:
