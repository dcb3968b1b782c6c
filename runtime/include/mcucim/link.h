/* Link endpoint register map (issue 15; docs/SYSTEM.md): one end of a UART, SPI or LoRa link between
 * two MCUs of a system (`mcucim run -c system.yaml`). Config: soc.devices.<name>: {kind: link, base};
 * the system config connects two endpoints. Messages move by the endpoint's own DMA: SEND reads
 * TX_LEN bytes at TX_ADDR from memory and puts them on the link; RECV arms the receiver: the next
 * message that arrives (in order) is written at RX_ADDR (at most RX_CAP bytes), RX_LEN gives its length.
 * Messages wait in the receiver's queue until it is armed: none is lost (the queue is not bounded in the
 * model; the report gives the deepest it got), and reading STATUS synchronises with the other MCUs
 * first, so no message is seen late. */
#ifndef MCUCIM_LINK_H
#define MCUCIM_LINK_H
#include <stdint.h>

#define LINK_ID      0x00u /* R: 0x4C4E4B31 ("LNK1") */
#define LINK_CTRL    0x04u /* W: bit 0 SEND, bit 1 RECV (arm), bit 2 TX interrupt enable, bit 3 RX interrupt enable */
#define LINK_STATUS  0x08u /* R: bit 0 TX busy, bit 1 TX done, bit 2 RX done, bit 3 a message is waiting, bit 4 RX armed;
                              bits 15:8 error of the last command. W: 1 to bit 1 / bit 2 clears TX / RX done */
#define LINK_TX_ADDR 0x0Cu /* RW */
#define LINK_TX_LEN  0x10u /* RW: bytes of the message to send (1..MTU) */
#define LINK_RX_ADDR 0x14u /* RW */
#define LINK_RX_CAP  0x18u /* RW: bytes the receive buffer holds */
#define LINK_RX_LEN  0x1Cu /* R: length of the message received */
#define LINK_MTU     0x20u /* R: the largest message (LoRa: the packet payload limit) */
#define LINK_KIND    0x24u /* R: 0 UART, 1 SPI, 2 LoRa, 0xFF not connected */

#define LINK_CTRL_SEND 1u
#define LINK_CTRL_RECV 2u
#define LINK_CTRL_TXIE 4u
#define LINK_CTRL_RXIE 8u
#define LINK_ST_TX_BUSY 1u
#define LINK_ST_TX_DONE 2u
#define LINK_ST_RX_DONE 4u
#define LINK_ST_RX_WAITING 8u
#define LINK_ST_RX_ARMED 16u

#define LINK_ERR_NONE 0u
#define LINK_ERR_LEN 1u        /* SEND of 0 bytes or more than MTU */
#define LINK_ERR_BUSY 2u       /* SEND while a message is still being sent, RECV while armed */
#define LINK_ERR_BUS 3u        /* the DMA met an unmapped or read-only address */
#define LINK_ERR_TOO_LONG 4u   /* the arriving message is longer than RX_CAP (it stays queued) */
#define LINK_ERR_UNCONNECTED 5u

#if defined(__riscv)
static inline void link_write(uint32_t base, uint32_t off, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(base + off) = v; }
static inline uint32_t link_read(uint32_t base, uint32_t off) { return *(volatile uint32_t *)(uintptr_t)(base + off); }
/* Sleep until the endpoint's interrupt line is up (mie.MEIE set, mstatus.MIE left clear: wfi wakes on
 * the pending interrupt without taking a trap). */
static inline void link_sleep(void) {
  __asm__ volatile("csrs mie, %0" ::"r"(1u << 11));
  __asm__ volatile("wfi");
}
/* Send len bytes (1..MTU) and wait until they are on the wire; returns the error code (0 = ok). */
static inline uint32_t link_send(uint32_t base, const void *buf, uint32_t len) {
  link_write(base, LINK_TX_ADDR, (uint32_t)(uintptr_t)buf);
  link_write(base, LINK_TX_LEN, len);
  link_write(base, LINK_CTRL, LINK_CTRL_SEND | LINK_CTRL_TXIE);
  uint32_t s;
  while (((s = link_read(base, LINK_STATUS)) & LINK_ST_TX_BUSY)) link_sleep();
  link_write(base, LINK_STATUS, LINK_ST_TX_DONE);
  link_write(base, LINK_CTRL, 0);
  return (s >> 8) & 0xffu;
}
/* Receive the next message into buf (cap bytes), sleeping until it has arrived; returns its length,
 * or 0 with *err set. */
static inline uint32_t link_recv(uint32_t base, void *buf, uint32_t cap, uint32_t *err) {
  link_write(base, LINK_RX_ADDR, (uint32_t)(uintptr_t)buf);
  link_write(base, LINK_RX_CAP, cap);
  link_write(base, LINK_CTRL, LINK_CTRL_RECV | LINK_CTRL_RXIE);
  uint32_t s;
  while (!((s = link_read(base, LINK_STATUS)) & LINK_ST_RX_DONE)) {
    if ((s >> 8) & 0xffu) break;
    link_sleep();
  }
  link_write(base, LINK_CTRL, 0);
  *err = (s >> 8) & 0xffu;
  if (*err) return 0;
  link_write(base, LINK_STATUS, LINK_ST_RX_DONE);
  return link_read(base, LINK_RX_LEN);
}
#endif
#endif
