/* UART register map (a minimal SiFive-style transmitter). Offsets from the device base. */
#ifndef MCUCIM_UART_H
#define MCUCIM_UART_H
#include <stdint.h>
#ifndef MCUCIM_UART_BASE
#define MCUCIM_UART_BASE 0x10000000u
#endif
#define UART_TXDATA 0x00u /* W: byte to send. R: bit 31 = FIFO full (always 0 in the model) */
#define UART_RXDATA 0x04u /* R: bit 31 = empty (always 1: no input in the model) */
#define UART_STATUS 0x08u /* R: bit 0 = transmitter ready (always 1) */
#if defined(__riscv)
static inline void uart_putc(char c) { *(volatile uint32_t *)(uintptr_t)(MCUCIM_UART_BASE + UART_TXDATA) = (uint8_t)c; }
static inline void uart_puts(const char *s) { while (*s) uart_putc(*s++); }
#endif
#endif
