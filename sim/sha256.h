// SHA-256 (FIPS 180-4), for the report's provenance (hashes of the ELF and data files). Plain C++.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace mcucim::sim {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  // The digest as 64 lowercase hex digits; the object must not be updated afterwards.
  std::string hex();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes
};

// SHA-256 of a file's bytes as hex, and its size; false if it cannot be read.
bool sha256_file(const std::string& path, std::string& hex, uint64_t& size);

}  // namespace mcucim::sim
