@ Exception entry and return from Thread and Handler mode: SVC from Thread, an IRQ pended from
@ inside the SVC handler that preempts it (higher priority), a lower-priority IRQ that
@ tail-chains after it, PendSV, and EXC_RETURN to Thread/MSP. Handlers log their order and
@ IPSR into `results`.
  .text
  .thumb_func
  .global main
main:
  push {lr}
  ldr r4, =results
  movs r5, #0                 @ log index
  @ IRQ0 priority 0x40 (high), IRQ1 0xC0 (low); SVC 0x80; PendSV 0xE0
  ldr r0, =NVIC_IPR
  ldr r1, =0x0000C040
  str r1, [r0]
  ldr r0, =SHPR2
  mov r1, #0x80000000
  str r1, [r0]
  ldr r0, =SHPR3
  mov r1, #0x00E00000
  str r1, [r0]
  ldr r0, =NVIC_ISER
  movs r1, #3
  str r1, [r0]
  movs r0, #11
  movs r1, #22
  movs r2, #33
  movs r3, #44
  mov r12, #55
  svc #7
  @ back in Thread: r0-r3, r12 preserved by the frame
  adds r0, r0, r1
  str r0, [r4, #128]
  @ pend PendSV and IRQ1 together: IRQ1 (0xC0) runs before PendSV (0xE0), tail-chained
  ldr r0, =ICSR
  mov r1, #0x10000000
  ldr r2, =NVIC_ISPR
  movs r3, #2
  cpsid i
  str r1, [r0]
  str r3, [r2]
  cpsie i
  nop
  mrs r0, ipsr
  str r0, [r4, #132]
  @ WFI with an interrupt already pending (masked by PRIMASK) does not sleep; the IRQ is taken
  @ when PRIMASK clears. (WFE and YIELD run in the generated programs: QEMU runs both as a yield,
  @ past which its gdbstub step does not stop, so the driver steps them with a breakpoint.)
  ldr r2, =NVIC_ISPR
  movs r3, #2
  cpsid i
  str r3, [r2]
  wfi
  cpsie i
  isb
  ldr r0, [r4, #152]
  str r0, [r4, #156]
  pop {pc}

  .macro log
  mrs r0, ipsr
  str r0, [r4, r5]
  adds r5, #4
  .endm

  .thumb_func
  .global svc_handler
svc_handler:
  log
  @ read the SVC immediate from the stacked PC
  ldr r1, [sp, #24]
  ldrb r1, [r1, #-2]
  str r1, [r4, #136]
  str lr, [r4, #140]          @ EXC_RETURN from Thread/MSP
  @ pend IRQ0 (higher priority): taken at once, preempting this handler
  ldr r2, =NVIC_ISPR
  movs r3, #1
  str r3, [r2]
  nop
  log
  bx lr

  .thumb_func
  .global irq0_handler
irq0_handler:
  log
  str lr, [r4, #144]          @ EXC_RETURN from Handler mode
  bx lr

  .thumb_func
  .global irq1_handler
irq1_handler:
  log
  ldr r1, [r4, #152]
  adds r1, #1
  str r1, [r4, #152]
  bx lr

  .thumb_func
  .global pendsv_handler
pendsv_handler:
  log
  str lr, [r4, #148]
  bx lr
