// Systems of MCUs joined by links, end to end (`mcucim run -c system.yaml`, sim/system.h): two MCUs
// exchanging messages with DMA and interrupts over UART and LoRa, timing and energy against hand-computed
// wire times, deadlock and bad-input reports.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"

using nlohmann::json;

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string p = e2e::tmpdir() + "/" + name;
  std::ofstream(p) << text;
  return p;
}

// A two-MCU ring of mcu-base-link MCUs running link_ping; `extra` is appended to the system map.
std::string ping_system(const std::string& name, const std::string& model, const std::string& args,
                        const std::string& extra = "") {
  return write_file(name, "system:\n  name: " + name + "\n  mcus:\n    node:\n      count: 2\n      config: " +
                              std::string(MCUCIM_SOURCE_DIR) + "/configs/mcu-base-link.yaml\n      args: \"" + args +
                              "\"\n  topology: {kind: ring, mcus: node, model: " + model + "}\n" + extra);
}

json report(const std::string& path) { return json::parse(e2e::slurp(path)); }

// Round-trip cycles per message size printed by rank 0 ("node0| rtt BYTES CYCLES").
std::map<int, long> rtts(const std::string& out) {
  std::map<int, long> m;
  std::regex re("node0\\| rtt (\\d+) (\\d+)");
  for (std::sregex_iterator it(out.begin(), out.end(), re), end; it != end; ++it)
    m[std::stoi((*it)[1])] = std::stol((*it)[2]);
  return m;
}

}  // namespace

TEST(System, TwoMcusExchangeMessagesOverUartWithWireTimesByHand) {
  const std::string rep = e2e::tmpdir() + "/ping_uart.json";
  auto r = e2e::mcucim("run -c " + e2e::cfg("system-ping-uart") + " --elf " + e2e::fw("link_ping") + " --report " + rep);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("node0| ping ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("node1| pong ok"), std::string::npos) << r.out;
  const json j = report(rep);
  ASSERT_EQ(j["links"].size(), 2u);
  // Messages of 1, 17, 100, 255 and 256 bytes each way: 629 bytes, 10 bits each at 460800 baud.
  for (const auto& l : j["links"]) {
    EXPECT_EQ(l["messages"], 5);
    EXPECT_EQ(l["bytes"], 629);
    EXPECT_NEAR(l["busy_s"].get<double>(), 6290.0 / 460800, 1e-10);
    // configs/links/uart.yaml: 2.75 full cycles per 8N1 frame of random data x 15 pF x 3.3 V^2.
    EXPECT_NEAR(l["energy_j"].get<double>(), 629 * 2.75 * 15e-12 * 3.3 * 3.3, 1e-15);
    EXPECT_EQ(l["listen_j"].get<double>(), 0.0);  // UART receivers: no listening energy
    EXPECT_NEAR(l["params"]["pj_per_bit"].get<double>(), 0.275 * 15 * 3.3 * 3.3, 1e-9);
  }
  // A round trip is two wire times plus a little work on both sides; a message seen late (a quantum,
  // 1 ms = 200000 cycles, after it arrived) would add far more than the 1% allowed here.
  const auto m = rtts(r.out);
  ASSERT_EQ(m.size(), 5u) << r.out;
  for (const auto& [bytes, cycles] : m) {
    const double wire = 2.0 * bytes * 10 / 460800 * 200e6;
    EXPECT_GE(cycles, wire) << bytes;
    EXPECT_LE(cycles, wire * 1.01 + 2000) << bytes;
  }
  // Link energy is charged to each MCU's endpoints (component parts link_tx / link_rx).
  for (const auto& mcu : j["mcus"])
    EXPECT_NEAR(mcu["link_energy_j"].get<double>(), 629 * 2.75 * 15e-12 * 3.3 * 3.3, 1e-15);
}

TEST(System, ClocksAndQuantaPerMcuDoNotChangeWireTimes) {
  // b at 50 MHz with a 10 us quantum, a at 200 MHz with 1 ms: a's round trips cover the same wire time.
  const std::string sys = write_file("ping_clocks.yaml", "system:\n  end: main\n  mcus:\n    a: {config: " +
      e2e::cfg("mcu-base-link") + ", args: \"-r 0\"}\n    b: {config: " + e2e::cfg("mcu-base-link") +
      ", args: \"-r 1\", set: [\"soc.clock.freq_hz=50e6\", \"soc.core.quantum_ns=10000\"]}\n"
      "  links:\n    - {a: a.link0, b: b.link1, model: uart}\n    - {a: b.link0, b: a.link1, model: uart}\n");
  const std::string rep = e2e::tmpdir() + "/ping_clocks.json";
  auto r = e2e::mcucim("run -c " + sys + " --elf " + e2e::fw("link_ping") + " --report " + rep);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::regex re("a\\| rtt 100 (\\d+)");
  std::smatch mm;
  ASSERT_TRUE(std::regex_search(r.out, mm, re)) << r.out;
  const double wire = 2.0 * 1000 / 460800 * 200e6;
  EXPECT_GE(std::stol(mm[1]), wire);
  // b's share of the work runs at a quarter of the clock: more cycles of a, but still within 3%.
  EXPECT_LE(std::stol(mm[1]), wire * 1.03 + 2000);
  const json j = report(rep);
  EXPECT_EQ(j["mcus"][1]["report"]["operating_point"]["freq_hz"], 50e6);
}

TEST(System, LoraPacketsAndThePayloadLimit) {
  const std::string rep = e2e::tmpdir() + "/ping_lora.json";
  const std::string sys = ping_system("ping_lora", "lora-sx1262", "-r {index} -n 2 -b 255");
  auto r = e2e::mcucim("run -c " + sys + " --elf " + e2e::fw("link_ping") + " --report " + rep);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const json j = report(rep);
  // SF7/125 kHz/4-5, 255 bytes: 8 + ceil((2040+16-28+8+20)/28)*5 = 378 payload symbols + 12.25.
  const double toa = (8 + 4.25 + 8 + 74 * 5) * 1.024e-3;
  EXPECT_NEAR(j["links"][0]["busy_s"].get<double>(), 2 * toa, 1e-9);
  // Each MCU sent two packets (TX 117.9 mA) and received two (RX 4.6 mA), at 3.3 V, and listened
  // (RX 4.6 mA) while armed before each reply started: node1's reply follows node0's packet within
  // the time node1 takes to check 255 bytes (well under 1 ms).
  for (const auto& m : j["mcus"]) {
    const double listen_s = m["link_listen_s"].get<double>();
    EXPECT_NEAR(m["link_listen_energy_j"].get<double>(), listen_s * 3.3 * 0.0046, 1e-12);
    EXPECT_NEAR(m["link_energy_j"].get<double>(), 2 * toa * 3.3 * (0.1179 + 0.0046) + listen_s * 3.3 * 0.0046, 1e-9);
  }
  EXPECT_GT(j["mcus"][0]["link_listen_s"].get<double>(), 0.0);
  EXPECT_LT(j["mcus"][0]["link_listen_s"].get<double>(), 1e-3);
  // A message over the 255-byte payload limit: the endpoint refuses it, the program reports it.
  auto bad = e2e::mcucim("run -c " + ping_system("ping_lora_big", "lora-sx1262", "-r {index} -n 1 -b 300") + " --elf " +
                         e2e::fw("link_ping"));
  EXPECT_EQ(bad.code, 3) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("send error 1 (message longer than the link's MTU)"), std::string::npos) << bad.out;
  // ... and node1, waiting for a message that never comes, is reported as a deadlock.
  EXPECT_NE(bad.err.find("[node1] mcucim: deadlock: waiting in wfi for a link message"), std::string::npos) << bad.err;
}

TEST(System, LoraReceiverArmedEarlyListensUntilThePacketStarts) {
  // a waits 2,000,000 cycles (10 ms at 200 MHz) before its one 20-byte packet; b arms its receiver
  // right after start-up (both MCUs run the same start-up code), so it listens 10 ms. b answers and
  // arms again for a second packet that never comes; a, after the reply, waits 2,000,000 cycles more
  // and exits, which ends the run (end: main): b, still armed, listens until then, 10 ms more. Beyond
  // the 20 ms: a's check of the reply and its two printfs (~20,000 cycles, 0.1 ms; 0.15 ms allowed).
  // Listening draws the SX1262's RX current: 3.3 V x 4.6 mA = 15.18 mW, 20 ms: 303.6 uJ. The packets:
  // SF7/125 kHz, 20 bytes: 8 + ceil((160+16-28+8+20)/28) x 5 = 43 payload symbols, 55.25 in all,
  // 56.576 ms, one each way.
  const std::string rep = e2e::tmpdir() + "/listen_lora.json";
  auto system = [](const std::string& name, const std::string& set) {
    return write_file(name, "system:\n  end: main\n  mcus:\n    a: {config: " + e2e::cfg("mcu-base-link") +
        ", args: \"-r 0 -n 1 -b 20 -d 2000000 -w 2000000\"}\n    b: {config: " + e2e::cfg("mcu-base-link") +
        ", args: \"-r 1 -n 2 -b 20\"}\n  links:\n    - {a: a.link0, b: b.link1, model: lora-sx1262, set: [" + set +
        "]}\n    - {a: b.link0, b: a.link1, model: lora-sx1262, set: [" + set + "]}\n");
  };
  auto r = e2e::mcucim("run -c " + system("listen_lora.yaml", "") + " --elf " + e2e::fw("link_ping") + " --report " + rep);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const json j = report(rep);
  const double toa = 55.25 * 1.024e-3, p_rx = 3.3 * 0.0046;
  const json& b = j["mcus"][1];
  EXPECT_EQ(b["report"]["status"], "stopped");
  EXPECT_NEAR(b["link_listen_s"].get<double>(), 20e-3 + 0.1e-3, 0.15e-3);
  EXPECT_NEAR(b["link_listen_energy_j"].get<double>(), b["link_listen_s"].get<double>() * p_rx, 1e-15);
  EXPECT_NEAR(b["link_listen_energy_j"].get<double>(), 303.6e-6, 0.25e-3 * p_rx);
  EXPECT_NEAR(b["link_energy_j"].get<double>(), toa * 3.3 * (0.1179 + 0.0046) + b["link_listen_energy_j"].get<double>(),
              1e-12);
  // a listens only while b checks and answers (a few thousand cycles).
  EXPECT_LT(j["mcus"][0]["link_listen_s"].get<double>(), 50e-6);
  // The system totals: listening is part of the links' energy, and reported on its own.
  const double listen_all = j["mcus"][0]["link_listen_energy_j"].get<double>() + b["link_listen_energy_j"].get<double>();
  EXPECT_NEAR(j["system"]["energy_j"]["listen"].get<double>(), listen_all, 1e-15);
  EXPECT_NEAR(j["links"][0]["listen_j"].get<double>() + j["links"][1]["listen_j"].get<double>(), listen_all, 1e-15);
  // Without `listen`, none; at +14 dBm the table's 89.3 mA: b sent one packet and received one.
  auto off = e2e::mcucim("run -c " + system("listen_lora_off.yaml", "\"listen=false\", \"tx_power_dbm=14\"") +
                         " --elf " + e2e::fw("link_ping") + " --report " + rep);
  ASSERT_EQ(off.code, 0) << off.err;
  const json o = report(rep);
  EXPECT_EQ(o["system"]["energy_j"]["listen"].get<double>(), 0.0);
  EXPECT_EQ(o["mcus"][1]["link_listen_s"].get<double>(), 0.0);
  EXPECT_NEAR(o["mcus"][1]["link_energy_j"].get<double>(), toa * 3.3 * (0.0893 + 0.0046), 1e-12);
  EXPECT_EQ(o["links"][0]["params"]["tx_current_a"].get<double>(), 0.0893);
}

TEST(System, AWaitThatNoMcuCanEndIsADeadlock) {
  // node1 expects 3 messages, node0 sends 2 and exits.
  const std::string sys = write_file("ping_dead.yaml", "system:\n  mcus:\n    a: {config: " + e2e::cfg("mcu-base-link") +
      ", args: \"-r 0 -n 2\"}\n    b: {config: " + e2e::cfg("mcu-base-link") + ", args: \"-r 1 -n 3\"}\n"
      "  links:\n    - {a: a.link0, b: b.link1, model: uart}\n    - {a: b.link0, b: a.link1, model: uart}\n");
  auto r = e2e::mcucim("run -c " + sys + " --elf " + e2e::fw("link_ping"));
  EXPECT_EQ(r.code, 126) << r.out << r.err;
  EXPECT_NE(r.err.find("[b] mcucim: deadlock"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("a| ping ok"), std::string::npos) << r.out;
}

TEST(System, BadInputGetsOneClearError) {
  const std::string base = "system:\n  mcus:\n    a: {config: " + e2e::cfg("mcu-base-link") + "}\n    b: {config: " +
                           e2e::cfg("mcu-base-link") + "}\n  links:\n";
  auto run = [&](const std::string& name, const std::string& links) {
    return e2e::mcucim("run -c " + write_file(name, base + links) + " --elf " + e2e::fw("link_ping"));
  };
  auto r = run("bad_mcu.yaml", "    - {a: a.link0, b: c.link1, model: uart}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad_mcu.yaml:6: system.links.0: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("endpoint 'c.link1' names MCU 'c', which is not in system.mcus (MCUs: a, b)"), std::string::npos) << r.err;
  r = run("bad_twice.yaml", "    - {a: a.link0, b: b.link1, model: uart}\n    - {a: b.link0, b: a.link0, model: uart}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("endpoint 'a.link0' is already connected by system.links.0: one link per endpoint"), std::string::npos) << r.err;
  r = run("bad_dev.yaml", "    - {a: a.uart0, b: b.link1, model: uart}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("endpoint 'a.uart0' is a uart device, expected a link endpoint"), std::string::npos) << r.err;
  r = run("bad_nodev.yaml", "    - {a: a.link7, b: b.link1, model: uart}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("MCU 'a' has no device 'link7' (its link endpoints: link0, link1)"), std::string::npos) << r.err;
  r = run("bad_payload.yaml", "    - {a: a.link0, b: b.link1, model: lora-sx1262, set: [\"max_payload=300\"]}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("link.max_payload"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected 1 .. 255 bytes (the SX126x payload length is one byte), found 300"), std::string::npos) << r.err;
  r = run("bad_power.yaml", "    - {a: a.link0, b: b.link1, model: lora-sx1262, set: [\"tx_power_dbm=23\"]}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("link.tx_power_dbm: no TX current for 23 dBm in link.tx_current_ma_by_dbm (powers: 0, 10, 14, 17, 20, 22)"),
            std::string::npos) << r.err;
  r = run("bad_key.yaml", "    - {a: a.link0, b: b.link1, model: uart, set: [\"clock_hz=1e6\"]}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown key 'link.clock_hz'"), std::string::npos) << r.err;
  r = run("bad_model.yaml", "    - {a: a.link0, b: b.link1, model: carrier-pigeon}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no link model 'carrier-pigeon'"), std::string::npos) << r.err;
}

// Run options on a system (docs/SYSTEM.md, "Run options"): each either works for the whole system or is
// refused with exit 2 and the option's name; none is ignored.
namespace {
e2e::Result ping(const std::string& options) {
  return e2e::mcucim("run -c " + e2e::cfg("system-ping-uart") + " --elf " + e2e::fw("link_ping") + " " + options);
}
}  // namespace

TEST(SystemOptions, ObserversOfOneCoreAreRefusedWithExit2) {
  const std::pair<std::string, std::string> cases[] = {
      {"--log-commits " + e2e::tmpdir() + "/sys.log", "--log-commits"},
      {"--stats-interval 1000 --stats-file " + e2e::tmpdir() + "/sys.csv", "--stats-interval"},
      {"--gdb 0", "--gdb"},
      {"--no-energy --trace " + e2e::tmpdir() + "/sys-ne.trace.json", "--trace needs the energy model"}};
  for (const auto& [options, message] : cases) {
    auto r = ping(options);
    EXPECT_EQ(r.code, 2) << options << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("ping ok"), std::string::npos) << "ran anyway: " << options;
  }
  auto r = ping("--log-commits " + e2e::tmpdir() + "/sys.log");
  EXPECT_NE(r.err.find("not available for a system run"), std::string::npos) << r.err;
}

TEST(SystemOptions, TimeoutStopsEveryMcu) {
  // The first quantum boundary (1 ms of simulated time) is long after a 1 us wall-clock limit; the
  // ping exchange needs 28 ms of simulated time, so no MCU can have ended by then.
  const std::string rep = e2e::tmpdir() + "/sys-timeout.json";
  auto r = ping("--timeout 0.000001 --report " + rep);
  EXPECT_EQ(r.code, 123) << r.err;
  EXPECT_NE(r.err.find("wall-clock limit of 1e-06 s reached (--timeout)"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("ping ok"), std::string::npos) << r.out;
  const json j = report(rep);
  EXPECT_EQ(j["status"], "time_limit");
  EXPECT_EQ(j["exit_code"], 123);
  for (const auto& m : j["mcus"]) EXPECT_EQ(m["report"]["status"], "time_limit");
  EXPECT_LT(j["system"]["time_s"].get<double>(), 0.028);
}

TEST(SystemOptions, NoEnergyGivesTheSameCyclesWithoutEnergy) {
  const std::string with = e2e::tmpdir() + "/sys-energy.json", without = e2e::tmpdir() + "/sys-noenergy.json";
  auto a = ping("--report " + with);
  auto b = ping("--no-energy --report " + without);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  const json ja = report(with), jb = report(without);
  EXPECT_TRUE(ja["energy_j"].is_object());
  EXPECT_TRUE(jb["energy_j"].is_null());
  EXPECT_TRUE(jb["system"]["energy_j"].is_null());
  EXPECT_NE(b.err.find("energy         - (--no-energy)"), std::string::npos) << b.err;
  ASSERT_EQ(jb["mcus"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(jb["mcus"][i]["report"]["energy_j"].is_null());
    // The accounting observes the run, it does not change it.
    EXPECT_EQ(jb["mcus"][i]["report"]["cycles"], ja["mcus"][i]["report"]["cycles"]);
    EXPECT_EQ(jb["mcus"][i]["report"]["instret"], ja["mcus"][i]["report"]["instret"]);
  }
  EXPECT_EQ(jb["links"][0]["bytes"], 629);
  EXPECT_TRUE(jb["links"][0]["energy_j"].is_null());
}

TEST(SystemOptions, TraceHasOneProcessPerMcu) {
  const std::string path = e2e::tmpdir() + "/sys.trace.json";
  auto r = ping("-q --trace " + path);
  ASSERT_EQ(r.code, 0) << r.err;
  const json t = json::parse(e2e::slurp(path));
  std::map<int, std::string> names;
  std::map<int, int> power;
  for (const auto& e : t["traceEvents"]) {
    if (e["name"] == "process_name") names[e["pid"].get<int>()] = e["args"]["name"];
    if (e["ph"] == "C") power[e["pid"].get<int>()]++;
  }
  EXPECT_EQ(names, (std::map<int, std::string>{{1, "node0"}, {2, "node1"}}));
  // Power samples at quantum boundaries (28 ms of 1 ms quanta) for both MCUs.
  EXPECT_GT(power[1], 20);
  EXPECT_GT(power[2], 20);
}

TEST(SystemOptions, ProfilePerMcu) {
  auto r = ping("-q --profile");
  ASSERT_EQ(r.code, 0) << r.err;
  const size_t a = r.err.find("--- profile of node0 ---"), b = r.err.find("--- profile of node1 ---");
  ASSERT_NE(a, std::string::npos) << r.err;
  ASSERT_NE(b, std::string::npos) << r.err;
  EXPECT_LT(a, b);
  // link_ping's main and link_recv show up in each MCU's flat profile.
  EXPECT_NE(r.err.find(" main\n", a), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" main\n", b), std::string::npos) << r.err;
}

// docs/report.schema.json describes system reports ($defs.system_report): real ones validate, broken
// ones do not (the check can fail).
namespace {
// One python3 run for all files (each start costs a second or two): "ok" or "invalid" per file, in order.
std::vector<std::string> validate(const std::vector<std::string>& paths) {
  const std::string out = e2e::tmpdir() + "/schema-sys.out";
  std::string files;
  for (const auto& p : paths) files += " " + p;
  const std::string cmd =
      "python3 -c \"import json, sys, jsonschema\n"
      "s = json.load(open('" + std::string(MCUCIM_SOURCE_DIR) + "/docs/report.schema.json'))\n"
      "for f in sys.argv[1:]:\n"
      "    try: jsonschema.validate(json.load(open(f)), s, cls=jsonschema.Draft202012Validator); print('ok')\n"
      "    except jsonschema.ValidationError: print('invalid')\n\"" + files + " > " + out;
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::vector<std::string> v;
  std::istringstream in(e2e::slurp(out));
  for (std::string line; std::getline(in, line);) v.push_back(line);
  return v;
}
}  // namespace

TEST(SystemReport, ValidatesAgainstTheSchema) {
  const std::string uart = e2e::tmpdir() + "/schema-sys-uart.json", lora = e2e::tmpdir() + "/schema-sys-lora.json",
                    none = e2e::tmpdir() + "/schema-sys-noenergy.json";
  ASSERT_EQ(ping("-q --report " + uart).code, 0);
  ASSERT_EQ(ping("-q --no-energy --report " + none).code, 0);
  auto r = e2e::mcucim("run -c " + ping_system("schema_lora", "lora-sx1262", "-r {index} -n 1 -b 20") + " --elf " +
                       e2e::fw("link_ping") + " -q --report " + lora);
  ASSERT_EQ(r.code, 0) << r.err;
  // Broken copies: a link without its byte count, an MCU report with a negative cycle count, a LoRa
  // link without its time on air, an unknown link kind.
  const json good = report(uart), good_lora = report(lora);
  std::vector<json> bad(4, good);
  bad[0]["links"][0].erase("bytes");
  bad[1]["mcus"][1]["report"]["cycles"] = -1;
  bad[2] = good_lora;
  bad[2]["links"][0]["params"].erase("symbol_s");
  bad[3]["links"][1]["params"]["kind"] = "carrier-pigeon";
  std::vector<std::string> files = {uart, lora, none};
  for (size_t i = 0; i < bad.size(); ++i) {
    files.push_back(e2e::tmpdir() + "/schema-sys-bad" + std::to_string(i) + ".json");
    std::ofstream(files.back()) << bad[i].dump();
  }
  EXPECT_EQ(validate(files), (std::vector<std::string>{"ok", "ok", "ok", "invalid", "invalid", "invalid", "invalid"}));
}
