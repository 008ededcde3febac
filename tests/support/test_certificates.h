#pragma once

#include <filesystem>
#include <string>

namespace rct::test {

// A throw-away PKI made with the openssl command: a CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate whose key is encrypted with `client_key_password`.
struct TestCertificates {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;  // encrypted PEM
  std::string client_key_password;
};

// Writes the files into `dir` (which must exist) and makes the directory and the files readable
// by every user: Mosquitto drops root privileges before it reads its certificate and key. Throws
// std::runtime_error when openssl fails.
TestCertificates make_test_certificates(const std::filesystem::path& dir);

}  // namespace rct::test
