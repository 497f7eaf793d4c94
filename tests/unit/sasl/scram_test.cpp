// SCRAM messages and keys: the RFC 7677 example (SHA-256), the same exchange with SHA-512
// (expected values from Python's hashlib), and malformed messages.
#include "core/sasl/scram.h"

#include <gtest/gtest.h>

namespace mockforge::sasl {
namespace {

constexpr std::string_view kClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal256 =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal256 = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
constexpr std::string_view kClientFinal512 =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==";
constexpr std::string_view kServerFinal512 =
    "v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==";

TEST(Scram, ClientReproducesRfc7677Example) {
  ScramClient client(ScramHash::kSha256, "user", "pencil", std::string(kClientNonce));
  EXPECT_EQ(client.first_message(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(client.final_message(kServerFirst), kClientFinal256);
  EXPECT_NO_THROW(client.check_server_final(kServerFinal256));
  EXPECT_THROW(client.check_server_final(kServerFinal512), ScramError);
  EXPECT_THROW(client.check_server_final("e=invalid-proof"), ScramError);
}

TEST(Scram, ClientSha512MatchesHashlib) {
  ScramClient client(ScramHash::kSha512, "user", "pencil", std::string(kClientNonce));
  client.first_message();
  EXPECT_EQ(client.final_message(kServerFirst), kClientFinal512);
  EXPECT_NO_THROW(client.check_server_final(kServerFinal512));
}

TEST(Scram, ServerKeysVerifyTheRfcProofAndSignTheExchange) {
  const auto salt = base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  ASSERT_TRUE(salt);
  const ScramCredential credential =
      make_scram_credential(ScramHash::kSha256, "pencil", *salt, 4096);
  const std::string auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO," + std::string(kServerFirst) +
                                   ",c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  const ClientFinalMessage final_message = parse_client_final(kClientFinal256);
  EXPECT_TRUE(
      scram_proof_matches(ScramHash::kSha256, credential, auth_message, final_message.proof));
  EXPECT_FALSE(
      scram_proof_matches(ScramHash::kSha256, credential, auth_message + "x", final_message.proof));
  EXPECT_EQ("v=" + base64_encode(scram_server_signature(ScramHash::kSha256, credential.server_key,
                                                        auth_message)),
            kServerFinal256);
  const ScramCredential wrong = make_scram_credential(ScramHash::kSha256, "pencil2", *salt, 4096);
  EXPECT_FALSE(scram_proof_matches(ScramHash::kSha256, wrong, auth_message, final_message.proof));
}

TEST(Scram, ParsesClientFirstWithAuthzidEscapesAndExtensions) {
  const ClientFirstMessage parsed =
      parse_client_first("n,a=us=2Cer,n=us=2Cer=3D,r=abc,tokenauth=true");
  EXPECT_EQ(parsed.gs2_header, "n,a=us=2Cer,");
  EXPECT_EQ(parsed.authzid, "us,er");
  EXPECT_EQ(parsed.username, "us,er=");
  EXPECT_EQ(parsed.nonce, "abc");
  EXPECT_EQ(parsed.bare, "n=us=2Cer=3D,r=abc,tokenauth=true");
  EXPECT_EQ(scram_escape_name("us,er="), "us=2Cer=3D");
}

TEST(Scram, RefusesMalformedMessages) {
  for (std::string_view bad :
       {"", "n,,", "x,,n=user,r=abc", "p=tls-unique,,n=user,r=abc", "n,,m=ext,n=user,r=abc",
        "n,,n=,r=abc", "n,,n=us=41,r=abc", "n,,n=user,x=abc", "n,,n=user,r=", "n,,r=abc,n=user"}) {
    EXPECT_THROW(parse_client_first(bad), ScramError) << bad;
  }
  for (std::string_view bad :
       {"", "c=biws,r=abc", "c=biws,p=AAAA", "c=b!ws,r=abc,p=AAAA", "c=biws,r=abc,p=AAA"}) {
    EXPECT_THROW(parse_client_final(bad), ScramError) << bad;
  }
  for (std::string_view bad : {"r=abc,s=AAAA", "r=abc,s=AAAA,i=0", "r=abc,s=AAAA,i=12x",
                               "m=x,r=abc,s=AAAA,i=1", "r=abc,s=A,i=4096"}) {
    EXPECT_THROW(parse_server_first(bad), ScramError) << bad;
  }
}

TEST(Scram, ClientRefusesANonceThatDoesNotExtendItsOwn) {
  ScramClient client(ScramHash::kSha256, "user", "pencil", "abc");
  client.first_message();
  EXPECT_THROW(client.final_message("r=xyz123,s=AAAA,i=4096"), ScramError);
  EXPECT_THROW(client.final_message("r=abc,s=AAAA,i=4096"), ScramError);
}

TEST(Base64, RoundTripsAndRefusesNonCanonicalText) {
  for (std::string_view text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base64_decode(base64_encode(text)), std::string(text));
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  for (std::string_view bad :
       {"Zm8", "Zm=8", "Z===", "Zm9v!mFy", "=Zm8", "Zm9=", "Zn==", "Zg==AAAA"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

}  // namespace
}  // namespace mockforge::sasl
