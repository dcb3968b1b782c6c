// Testbench for validating mcucim's picorv32 timing profiles against the PicoRV32 RTL (YosysHQ
// picorv32.v, supplied by the user: it is not part of this repository). Used by bench/picorv32_rtl.sh.
//
// The core is configured as the profiles assume (configs/timing/picorv32*.yaml): COMPRESSED_ISA,
// ENABLE_MUL (or ENABLE_FAST_MUL with -DFAST_MUL), ENABLE_DIV, ENABLE_COUNTERS, dual-port register
// file, two-stage shifter, CATCH_MISALIGN/CATCH_ILLINSN. Memory answers in the same cycle
// (mem_ready = mem_valid: zero wait states). The memory map is mcucim's mcu-base SRAM: 512 KiB at
// 0x8000_0000, where LINK sram firmware lives; the program starts at its base. Two registers of the
// sim-control device (runtime/include/mcucim/simctrl.h) are emulated: PUTC (0x1100_0020) writes a
// character to stdout, EXIT (0x1100_0000) ends the run. Plusargs: +hex=<file> (one 32-bit word per
// line, from address 0x8000_0000), +words=<lines in that file>, +max_cycles=<n>.
`timescale 1 ns / 1 ps

module picorv32_tb;
	reg clk = 0;
	reg resetn = 0;
	wire trap;

	wire        mem_valid;
	wire        mem_instr;
	wire        mem_ready;
	wire [31:0] mem_addr;
	wire [31:0] mem_wdata;
	wire [ 3:0] mem_wstrb;
	wire [31:0] mem_rdata;

	localparam [31:0] RAM_BASE = 32'h8000_0000;
	localparam integer RAM_WORDS = 131072;  // 512 KiB
	localparam [31:0] SIMCTRL_EXIT = 32'h1100_0000;
	localparam [31:0] SIMCTRL_PUTC = 32'h1100_0020;

`ifdef FAST_MUL
	localparam FAST = 1, SERIAL = 0;
`else
	localparam FAST = 0, SERIAL = 1;
`endif

	picorv32 #(
		.ENABLE_COUNTERS(1),
		.ENABLE_COUNTERS64(1),
		.ENABLE_REGS_16_31(1),
		.ENABLE_REGS_DUALPORT(1),
		.TWO_STAGE_SHIFT(1),
		.BARREL_SHIFTER(0),
		.COMPRESSED_ISA(1),
		.CATCH_MISALIGN(1),
		.CATCH_ILLINSN(1),
		.ENABLE_MUL(SERIAL),
		.ENABLE_FAST_MUL(FAST),
		.ENABLE_DIV(1),
		.PROGADDR_RESET(RAM_BASE)
	) core (
		.clk(clk), .resetn(resetn), .trap(trap),
		.mem_valid(mem_valid), .mem_instr(mem_instr), .mem_ready(mem_ready),
		.mem_addr(mem_addr), .mem_wdata(mem_wdata), .mem_wstrb(mem_wstrb), .mem_rdata(mem_rdata),
		.pcpi_wr(1'b0), .pcpi_rd(32'b0), .pcpi_wait(1'b0), .pcpi_ready(1'b0),
		.irq(32'b0)
	);

	reg [31:0] ram [0:RAM_WORDS-1];
	wire in_ram = mem_addr >= RAM_BASE && mem_addr < RAM_BASE + 4 * RAM_WORDS;
	wire [31:0] word_index = (mem_addr - RAM_BASE) >> 2;

	// Zero wait states: the memory answers in the cycle of the request.
	assign mem_ready = mem_valid;
	assign mem_rdata = in_ram ? ram[word_index] : 32'h0;

	reg [1023:0] hexfile;
	integer max_cycles, cycles, i, words;
	initial begin
		for (i = 0; i < RAM_WORDS; i = i + 1) ram[i] = 0;
		if (!$value$plusargs("hex=%s", hexfile)) begin
			$display("picorv32_tb: missing +hex=<file>");
			$finish;
		end
		if (!$value$plusargs("words=%d", words)) words = RAM_WORDS;
		$readmemh(hexfile, ram, 0, words - 1);
		if (!$value$plusargs("max_cycles=%d", max_cycles)) max_cycles = 50000000;
		cycles = 0;
		repeat (4) @(posedge clk);
		resetn <= 1;
	end

	always #5 clk = ~clk;

	always @(posedge clk) begin
		if (resetn) cycles <= cycles + 1;
		if (resetn && mem_valid && mem_ready && |mem_wstrb) begin
			if (in_ram) begin
				if (mem_wstrb[0]) ram[word_index][ 7: 0] <= mem_wdata[ 7: 0];
				if (mem_wstrb[1]) ram[word_index][15: 8] <= mem_wdata[15: 8];
				if (mem_wstrb[2]) ram[word_index][23:16] <= mem_wdata[23:16];
				if (mem_wstrb[3]) ram[word_index][31:24] <= mem_wdata[31:24];
			end else if (mem_addr == SIMCTRL_PUTC) begin
				$write("%c", mem_wdata[7:0]);
				$fflush;
			end else if (mem_addr == SIMCTRL_EXIT) begin
				$display("picorv32_tb: exit %0d after %0d cycles", mem_wdata, cycles);
				$finish;
			end
		end
		if (resetn && trap) begin
			$display("picorv32_tb: TRAP at cycle %0d (mem_addr 0x%08x)", cycles, mem_addr);
			$finish;
		end
		if (cycles >= max_cycles) begin
			$display("picorv32_tb: cycle limit %0d reached", max_cycles);
			$finish;
		end
	end
endmodule
