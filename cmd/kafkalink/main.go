// Command kafkalink gives Kafka clients in other networks, accounts and
// regions private, authenticated, policy-guarded access to Kafka clusters.
package main

import (
	"os"

	"github.com/kafkalink/kafkalink/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
