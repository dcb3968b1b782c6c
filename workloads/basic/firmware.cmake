# Small programs that exercise the simulator's core paths (start-up, semihosting, traps, timer
# interrupts, M extension). Each is one add_firmware() call; sources are relative to this folder.
add_firmware(NAME hello       SOURCES hello.c)
add_firmware(NAME hello_sram  SOURCES hello.c LINK sram)
add_firmware(NAME hello_uart  SOURCES hello_uart.c SEMIHOST OFF)
add_firmware(NAME hello_f     SOURCES hello_f.c ARCH rv32imfc ABI ilp32f LIBS m)
add_firmware(NAME exit3       SOURCES exit3.c)
add_firmware(NAME illegal     SOURCES illegal.c)
add_firmware(NAME badload     SOURCES badload.c)
add_firmware(NAME timer_irq   SOURCES timer_irq.c)
add_firmware(NAME selfcheck   SOURCES selfcheck.c)
add_firmware(NAME tohost      SOURCES tohost.c SEMIHOST OFF)
add_firmware(NAME profile_hot SOURCES profile_hot.c)
add_firmware(NAME blob_args   SOURCES blob_args.c)
