package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rollsim/rollsim/sim/cluster"
)

func main() {
	// An interrupted envtest run must not leave kube-apiserver and etcd
	// behind.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		if err := cluster.StopSharedEnvtest(); err != nil {
			fmt.Fprintln(os.Stderr, "rollsim:", err)
		}
		fmt.Fprintf(os.Stderr, "rollsim: %s\n", s)
		os.Exit(130)
	}()
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
