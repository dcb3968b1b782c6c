# Programs for systems of several MCUs joined by links (docs/SYSTEM.md).
add_firmware(NAME link_ping SOURCES link_ping.c)
