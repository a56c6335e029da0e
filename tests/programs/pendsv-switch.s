@ A PendSV context switch between two tasks on their own process stacks: each task counts in
@ its own register and yields by pending PendSV; the handler saves r4-r11 on the outgoing PSP
@ stack, swaps stack pointers and restores the other task. After 6 switches main resumes.
  .text
  .thumb_func
  .global main
main:
  push {r4-r11, lr}
  ldr r0, =main_sp
  str sp, [r0]
  ldr r0, =SHPR3
  mov r1, #0x00FF0000         @ PendSV lowest priority
  str r1, [r0]
  @ Build task B's initial frame: 8 words of r4-r11 then a hardware frame.
  ldr r0, =stack_b_top
  sub r0, #64
  movs r1, #0
  movs r2, #16
1:str r1, [r0, r2, lsl #2]
  subs r2, #1
  bpl 1b
  ldr r1, =task_b
  str r1, [r0, #(32 + 24)]    @ stacked PC
  mov r1, #0x01000000
  str r1, [r0, #(32 + 28)]    @ stacked xPSR (T bit)
  ldr r1, =sp_b
  str r0, [r1]
  ldr r0, =stack_a_top
  msr psp, r0
  movs r0, #2
  msr control, r0             @ Thread mode on PSP, privileged
  isb
  b task_a

  .thumb_func
task_a:
  movs r4, #0
1:adds r4, #1
  ldr r0, =results
  str r4, [r0, #0]
  bl yield
  cmp r4, #3
  bne 1b
  @ done switching: go back to main on MSP
  movs r0, #0
  msr control, r0
  isb
  ldr r0, =main_sp
  ldr sp, [r0]
  pop {r4-r11, pc}

  .thumb_func
task_b:
  movs r5, #100
1:adds r5, #1
  ldr r0, =results
  str r5, [r0, #4]
  bl yield
  b 1b

  .thumb_func
yield:
  ldr r0, =ICSR
  mov r1, #0x10000000
  str r1, [r0]
  dsb
  isb
  bx lr

  .thumb_func
  .global pendsv_handler
pendsv_handler:
  mrs r0, psp
  stmdb r0!, {r4-r11}
  ldr r1, =current
  ldr r2, [r1]
  ldr r3, =sp_a
  cbz r2, 1f
  ldr r3, =sp_b
1:str r0, [r3]
  eor r2, r2, #1
  str r2, [r1]
  ldr r3, =sp_a
  cbz r2, 2f
  ldr r3, =sp_b
2:ldr r0, [r3]
  ldmia r0!, {r4-r11}
  msr psp, r0
  ldr r1, =results
  ldr r3, [r1, #8]
  adds r3, #1
  str r3, [r1, #8]
  bx lr

  .data
  .align 2
current: .word 0
sp_a: .word 0
sp_b: .word 0
main_sp: .word 0
  .bss
  .align 3
  .space 1024
stack_a_top:
  .space 1024
stack_b_top:
