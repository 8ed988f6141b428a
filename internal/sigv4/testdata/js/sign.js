// Test helper for internal/sigv4: prints an MSK IAM OAUTHBEARER token made by
// the real aws-msk-iam-sasl-signer-js from static credentials in the
// environment (SIGV4_TEST_AKID, SIGV4_TEST_SECRET, SIGV4_TEST_TOKEN optional,
// SIGV4_TEST_REGION default us-east-1, SIGV4_TEST_CREDENTIAL_TTL_MS optional:
// the credentials expire that many milliseconds from now).
const { generateAuthTokenFromCredentialsProvider } = require("aws-msk-iam-sasl-signer-js");

async function main() {
  const creds = {
    accessKeyId: process.env.SIGV4_TEST_AKID,
    secretAccessKey: process.env.SIGV4_TEST_SECRET,
  };
  if (process.env.SIGV4_TEST_TOKEN) {
    creds.sessionToken = process.env.SIGV4_TEST_TOKEN;
  }
  if (process.env.SIGV4_TEST_CREDENTIAL_TTL_MS) {
    creds.expiration = new Date(Date.now() + Number(process.env.SIGV4_TEST_CREDENTIAL_TTL_MS));
  }
  const res = await generateAuthTokenFromCredentialsProvider({
    region: process.env.SIGV4_TEST_REGION || "us-east-1",
    awsCredentialsProvider: async () => creds,
  });
  process.stdout.write(JSON.stringify(res) + "\n");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
