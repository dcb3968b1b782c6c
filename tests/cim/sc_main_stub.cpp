// libsystemc references sc_main. These tests never start SystemC: GoogleTest's main runs them.
extern "C" int sc_main(int, char**) { return 0; }
