@ Shared end of every system program: the vector table (a handler the program does not define
@ falls into `unexpected`, which stores the exception number and stops), a reset path that calls
@ `main`, and `done`, the address the lockstep driver stops at.
  .macro handler name
  .ifndef \name
  .thumb_set \name, unexpected
  .endif
  .endm

  handler nmi_handler
  handler hardfault_handler
  handler memmanage_handler
  handler busfault_handler
  handler usagefault_handler
  handler svc_handler
  handler debugmon_handler
  handler pendsv_handler
  handler systick_handler
  handler irq0_handler
  handler irq1_handler
  handler irq2_handler
  handler irq3_handler

  .section .vectors, "a"
  .word __stack_top
  .word reset_handler
  .word nmi_handler
  .word hardfault_handler
  .word memmanage_handler
  .word busfault_handler
  .word usagefault_handler
  .word 0, 0, 0, 0
  .word svc_handler
  .word debugmon_handler
  .word 0
  .word pendsv_handler
  .word systick_handler
  .word irq0_handler
  .word irq1_handler
  .word irq2_handler
  .word irq3_handler

  .text
  .thumb_func
  .global reset_handler
reset_handler:
  bl main
  .global done
done:
  b done

  .thumb_func
unexpected:
  mrs r0, ipsr
  ldr r1, =results
  str r0, [r1, #252]
  b done

  .data
  .align 4
  .global results
results:
  .space 256
