/*
 * crt0.S: entry of a position-independent C app on a Tock-ABI kernel (our own, after the
 * conventions of libtock-c's crt0).
 *
 * The kernel jumps to _start with r0 = the app binary's start in flash, r1 = its RAM block,
 * r2 = the block's length, r3 = the initial break, and lets the process touch only the first
 * 32 bytes of the block (one exception frame). _start therefore touches no memory before it has
 * claimed what it needs with memop brk (svc 5, r0 = 0, r1 = new break): the stack, the GOT, .data
 * and .bss, laid out from the block's start as pic.ld links them (RAM offsets from 0). Then it
 * sets the stack, calls crt0_relocate (C, no globals: the GOT is not there yet) to copy and
 * relocate the GOT and .data and clear .bss, sets r9 to the GOT (-msingle-pic-base: all data is
 * reached through r9), and calls main(r0..r3). main's return value is the exit code.
 * The constants below are link-time numbers read PC-relatively, so the code runs anywhere.
 */
    .syntax unified
    .thumb
    .section .start, "ax"
    .global _start
    .type _start, %function
    .thumb_func
_start:
    mov r4, r0                  /* keep the entry registers across the svc */
    mov r5, r1
    mov r6, r2
    mov r7, r3
    ldr r1, =_app_ram_end       /* RAM offset of the end of everything we use */
    add r1, r1, r5
    movs r0, #0
    svc 5                       /* memop brk: only r0 comes back (Success = 128) */
    cmp r0, #128
    bne 1f
    ldr r0, =_stack_top
    add r0, r0, r5
    mov sp, r0
    adr r0, crt0_layout         /* where the link-time layout table is, wherever we run */
    mov r1, r4
    mov r2, r5
    bl crt0_relocate
    ldr r0, =_sgot
    add r9, r0, r5
    mov r0, r4
    mov r1, r5
    mov r2, r6
    mov r3, r7
    bl main
    mov r1, r0                  /* exit-terminate with main's return value */
    movs r0, #0
    svc 6
    b .
1:  ldr r1, =0xb4ea             /* the kernel refused the memory: exit, nothing else is possible */
    movs r0, #0
    svc 6
    b .
    .ltorg

    /* struct crt0_layout (crt0.c): link-time numbers the relocation needs. */
    .align 2
crt0_layout:
    .word _sgot, _egot, _sigot
    .word _sdata, _edata, _sidata
    .word _sbss, _ebss
    .word _flash_end
