#include "tests/support/test_certificates.h"

#include <fstream>
#include <stdexcept>
#include <vector>

#include "tests/support/mosquitto.h"
#include "tests/support/process.h"

namespace rct::test {
namespace {

void openssl(const std::vector<std::string>& args) {
  static const std::optional<std::string> exe = find_executable("openssl");
  if (!exe) throw std::runtime_error("openssl not found");
  std::vector<std::string> argv{*exe};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = run_process(argv, {}, std::chrono::seconds(30));
  if (r.exit_code != 0) {
    std::string command;
    for (const std::string& a : argv) command += a + " ";
    throw std::runtime_error("failed: " + command + "\n" + r.err);
  }
}

// A P-256 key and a CSR for `subject`.
void key_and_request(const std::string& key, const std::string& csr, const std::string& subject) {
  openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", key, "-out", csr, "-subj", subject});
}

void sign(const std::string& csr, const std::string& cert, const TestCertificates& pki,
          const std::string& ca_key, const std::string& extensions_file) {
  openssl({"x509", "-req", "-in", csr, "-CA", pki.ca_cert, "-CAkey", ca_key, "-CAcreateserial",
           "-out", cert, "-days", "2", "-extfile", extensions_file});
}

}  // namespace

TestCertificates make_test_certificates(const std::filesystem::path& dir) {
  TestCertificates pki;
  const auto path = [&](const char* name) { return (dir / name).string(); };
  pki.ca_cert = path("ca.crt");
  const std::string ca_key = path("ca.key");
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", ca_key, "-out", pki.ca_cert, "-days", "2", "-subj", "/CN=rct2mqtt test CA",
           "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign"});

  const std::string server_ext = path("server.ext");
  std::ofstream(server_ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                            << "extendedKeyUsage=serverAuth\n";
  pki.server_key = path("server.key");
  key_and_request(pki.server_key, path("server.csr"), "/CN=localhost");
  pki.server_cert = path("server.crt");
  sign(path("server.csr"), pki.server_cert, pki, ca_key, server_ext);

  const std::string client_ext = path("client.ext");
  std::ofstream(client_ext) << "extendedKeyUsage=clientAuth\n";
  const std::string plain_key = path("client-plain.key");
  key_and_request(plain_key, path("client.csr"), "/CN=rct2mqtt");
  pki.client_cert = path("client.crt");
  sign(path("client.csr"), pki.client_cert, pki, ca_key, client_ext);
  pki.client_key = path("client.key");
  pki.client_key_password = "correct horse";
  openssl({"pkey", "-in", plain_key, "-out", pki.client_key, "-aes256", "-passout",
           "pass:" + pki.client_key_password});
  // Test material only: readable by the broker after it dropped root privileges, the directory
  // and every file in it.
  std::filesystem::permissions(
      dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
               std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
               std::filesystem::perms::others_exec);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::filesystem::permissions(
        entry.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                          std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  }
  return pki;
}

}  // namespace rct::test
