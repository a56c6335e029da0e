@ Shared start of every system program: syntax and the System Control Space addresses.
  .syntax unified
  .thumb

  .equ ICSR, 0xE000ED04
  .equ VTOR, 0xE000ED08
  .equ AIRCR, 0xE000ED0C
  .equ CCR, 0xE000ED14
  .equ SHPR2, 0xE000ED1C
  .equ SHPR3, 0xE000ED20
  .equ SHCSR, 0xE000ED24
  .equ CFSR, 0xE000ED28
  .equ HFSR, 0xE000ED2C
  .equ MMFAR, 0xE000ED34
  .equ BFAR, 0xE000ED38
  .equ NVIC_ISER, 0xE000E100
  .equ NVIC_ISPR, 0xE000E200
  .equ NVIC_IPR, 0xE000E400
  .equ SYST_CSR, 0xE000E010
  .equ SYST_RVR, 0xE000E014
  .equ SYST_CVR, 0xE000E018
  .equ MPU_CTRL, 0xE000ED94
  .equ MPU_RNR, 0xE000ED98
  .equ MPU_RBAR, 0xE000ED9C
  .equ MPU_RASR, 0xE000EDA0

