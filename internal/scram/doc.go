// Package scram is kafkalink's SASL/SCRAM-SHA-256 and SCRAM-SHA-512
// (RFC 5802, RFC 7677) as Kafka implements them (KIP-84): the credentials
// kafkalink keeps for the users of each cluster, the server side of the
// authentication exchange on client-facing listeners, and the Kafka
// AlterUserScramCredentials and DescribeUserScramCredentials APIs, which
// kafkalink answers itself instead of forwarding them upstream.
//
// # Credentials
//
// A credential lives in the store under
//
//	clusters/<cluster>/scram/<user>/<mechanism>
//
// with the user name path-escaped (url.PathEscape) so that any Kafka user
// name fits in one key segment. The value holds the salt, the iteration
// count, StoredKey and ServerKey; never the password or the salted
// password. [Credentials] keeps every cluster it has been asked about in
// memory and follows the store with Watch, so a credential deleted on any
// kafkalink replica fails the next authentication everywhere.
//
// # Change notification
//
// A session that authenticated with a credential is bound to that
// credential's store revision. [Server.Changed] (or
// [Credentials.Changed] with the revision) returns a channel that is closed
// once that credential is deleted or replaced; the gateway closes the
// session, or asks for re-authentication, when it fires. The channel is
// already closed if the credential changed before the call, so there is no
// window in which a change is missed.
//
// # The exchange
//
// [Server] verifies a client against StoredKey and ServerKey, so an
// authentication costs a few HMACs and no PBKDF2. An unknown user gets a
// server-first message with a salt derived from a secret (stable for the
// user), and fails at the client's proof exactly like a wrong password:
// the client cannot tell the two apart. Failures are [*AuthError] values
// whose Message is what Kafka tells the client and whose Reason is for the
// log only. Delegation tokens (the tokenauth extension) are refused:
// kafkalink issues none.
package scram
