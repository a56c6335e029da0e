@ MPU permission faults: region 0 covers all memory read-write for privileged code only
@ (with PRIVDEFENA off), region 1 makes a RAM window readable by unprivileged code but not
@ writable, region 2 is an execute-never window. Unprivileged reads succeed, an unprivileged
@ write and an instruction fetch from the XN window fault with MemManage, which records CFSR
@ and MMFAR and returns past (or out of) the faulting access.
  .text
  .thumb_func
  .global main
main:
  push {r4-r7, lr}
  ldr r4, =results
  movs r5, #0
  ldr r0, =SHCSR
  mov r1, #0x00010000         @ MEMFAULTENA
  str r1, [r0]
  @ region 0: base 0, 4 GiB, AP=001 (priv RW, user none), XN=0
  ldr r0, =MPU_RNR
  movs r1, #0
  str r1, [r0]
  ldr r0, =MPU_RBAR
  movs r1, #0
  str r1, [r0]
  ldr r0, =MPU_RASR
  ldr r1, =(1 << 24) | (31 << 1) | 1
  str r1, [r0]
  @ region 1: window (1 KiB) AP=010 (priv RW, user RO)
  ldr r0, =MPU_RBAR
  ldr r1, =window
  orr r1, r1, #0x11           @ VALID | region 1
  str r1, [r0]
  ldr r0, =MPU_RASR
  ldr r1, =(2 << 24) | (9 << 1) | 1
  str r1, [r0]
  @ region 2: code window (256 B) AP=011 full access, XN
  ldr r0, =MPU_RBAR
  ldr r1, =xn_code
  orr r1, r1, #0x12
  str r1, [r0]
  ldr r0, =MPU_RASR
  ldr r1, =(1 << 28) | (3 << 24) | (7 << 1) | 1
  str r1, [r0]
  @ region 3: this code and the stack, full access, so unprivileged code can run
  ldr r0, =MPU_RBAR
  movs r1, #0x13              @ base 0
  str r1, [r0]
  ldr r0, =MPU_RASR
  ldr r1, =(3 << 24) | (21 << 1) | 1     @ 4 MiB at 0: SSRAM1
  str r1, [r0]
  ldr r0, =MPU_RBAR
  ldr r1, =0x20000014         @ region 4: SSRAM2&3 first 1 MiB, full access
  str r1, [r0]
  ldr r0, =MPU_RASR
  ldr r1, =(3 << 24) | (19 << 1) | 1
  str r1, [r0]
  ldr r0, =MPU_RNR
  movs r1, #1
  str r1, [r0]                @ RNR back to 1: regions 1 and 2 sit above 3/4 only if numbered higher
  ldr r0, =MPU_CTRL
  movs r1, #1                 @ ENABLE, no PRIVDEFENA
  str r1, [r0]
  dsb
  isb
  ldr r0, =MPU_CTRL
  ldr r1, [r0]
  str r1, [r4, #100]
  movs r0, #1
  msr control, r0             @ unprivileged
  isb
  ldr r6, =window
  ldr r7, [r6]                @ allowed? depends on region priority (window lies in region 4)
  str r7, [r4, #104]
  svc #0                      @ back to privileged
  pop {r4-r7, pc}

  .thumb_func
  .global svc_handler
svc_handler:
  mrs r0, control
  bic r0, #1
  msr control, r0
  @ make regions 1 and 2 win over 4 by renumbering them above it: 5 and 6
  ldr r0, =MPU_RNR
  movs r1, #5
  str r1, [r0]
  ldr r0, =MPU_RBAR
  ldr r1, =window
  str r1, [r0]
  ldr r0, =MPU_RASR
  ldr r1, =(2 << 24) | (9 << 1) | 1
  str r1, [r0]
  movs r1, #6
  ldr r0, =MPU_RNR
  str r1, [r0]
  ldr r0, =MPU_RBAR
  ldr r1, =xn_data
  str r1, [r0]
  ldr r0, =MPU_RASR
  ldr r1, =(1 << 28) | (3 << 24) | (7 << 1) | 1
  str r1, [r0]
  dsb
  isb
  @ now, unprivileged, from Thread mode via a fresh exception return
  ldr r0, =unpriv_part
  str r0, [sp, #24]
  mrs r0, control
  orr r0, #1
  msr control, r0
  bx lr

  .thumb_func
unpriv_part:
  ldr r7, [r6]                @ read allowed (user RO)
  str r7, [r4, #108]
  str r7, [r6]                @ write: MemManage DACCVIOL, MMFAR = window
  ldr r0, =xn_data
  orr r0, #1
  blx r0                      @ fetch from XN: MemManage IACCVIOL
  movs r0, #0
  udf #0                      @ UsageFault is disabled: HardFault; its handler ends the test

  .thumb_func
  .global memmanage_handler
memmanage_handler:
  ldr r0, =CFSR
  ldr r1, [r0]
  str r1, [r4, r5]
  adds r5, #4
  str r1, [r0]
  ldr r2, =MMFAR
  ldr r2, [r2]
  tst r1, #0x80
  it eq
  moveq r2, #0
  str r2, [r4, r5]
  adds r5, #4
  tst r1, #1                  @ IACCVIOL: return to the caller (stacked LR)
  itee ne
  ldrne r2, [sp, #20]
  ldreq r2, [sp, #24]
  addeq r2, #2
  bic r2, #1
  str r2, [sp, #24]
  bx lr

  .thumb_func
  .global hardfault_handler
hardfault_handler:
  ldr r0, =HFSR
  ldr r1, [r0]
  str r1, [r4, #112]
  ldr r0, =MPU_CTRL
  movs r1, #0
  str r1, [r0]
  mrs r0, control
  bic r0, #1
  msr control, r0
  ldr r0, =done
  str r0, [sp, #24]
  bx lr

  .data
  .align 10
window:
  .word 0x12345678
  .space 1020
  .align 8
xn_data:
  bx lr
  .space 254
  .text
  .align 8
xn_code:
  bx lr
