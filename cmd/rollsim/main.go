// Command rollsim runs rollout scenarios in virtual time. See README.md.
package main

import (
	"os"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
